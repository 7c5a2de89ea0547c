using System.Globalization;
using System.Net;
using System.Text;
using DrSentinel.Actions;
using DrSentinel.Alerting;
using DrSentinel.Incidents;
using DrSentinel.Inventory;
using DrSentinel.Leadership;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;
using Microsoft.Extensions.Options;

namespace DrSentinel.StatusPage;

/// <summary>
/// GET /: one small server-rendered page for on-call when Grafana and Prometheus went down with the zone: the zones and
/// their verdicts, where each primary is, the open incident's timeline, what each playbook would do now, the kill switch,
/// leader and sources. No script and no external asset (a meta refresh reloads it every 10 s); read-only; behind the
/// operators' credential when one is set.
/// </summary>
public static class StatusPageEndpoint
{
    public const int RefreshSeconds = 10;

    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder app)
    {
        var receiver = app.ServiceProvider.GetRequiredService<IOptions<ReceiverOptions>>().Value.Enabled;
        app.MapGet("/", async context =>
        {
            if (receiver && !await OperatorAuthentication.AuthenticatedAsync(context)) return;
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'";
            await context.Response.WriteAsync(Render(context.RequestServices), context.RequestAborted);
        });
        return app;
    }

    public static string Render(IServiceProvider services)
    {
        var snapshot = services.GetRequiredService<InventoryStore>().Current;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var inventory = services.GetRequiredService<IOptions<InventoryOptions>>().Value;
        var leadership = services.GetRequiredService<LeaseElector>();
        var incidents = services.GetService<IncidentLog>();
        var killSwitch = services.GetService<KillSwitch>();
        var actions = services.GetRequiredService<IOptions<ActionOptions>>().Value;
        var html = new StringBuilder();
        html.Append($$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="{{RefreshSeconds}}">
            <title>DrSentinel — {{E(inventory.ClusterName)}}</title>
            <style>
            body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:.5rem;color:#111;background:#fff}
            h1{font-size:1.2rem;margin:.3rem 0}h2{font-size:1.05rem;margin:1rem 0 .3rem;border-bottom:1px solid #ccc}
            table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{text-align:left;padding:.2rem .4rem;border-bottom:1px solid #eee;vertical-align:top;overflow-wrap:anywhere}
            .bad{background:#fdd;font-weight:600}.warn{background:#ffe9b3}.ok{background:#dfd}small{color:#555}
            </style></head><body>
            <h1>DrSentinel — cluster {{E(inventory.ClusterName)}}</h1>
            <p><small>{{E(now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))}} UTC · replica {{E(leadership.Identity)}} ·
            {{(leadership.Enabled ? leadership.IsLeader ? "leads" : "follows" : "single replica")}} · refreshes every {{RefreshSeconds}} s</small></p>
            """);
        var engaged = killSwitch?.Engaged ?? actions.KillSwitch;
        html.Append(CultureInfo.InvariantCulture, $"<p id=\"mode\" class=\"{(engaged ? "bad" : actions.DryRun ? "warn" : "ok")}\">")
            .Append(engaged ? "Kill switch ENGAGED: DrSentinel changes nothing" : actions.DryRun ? "Dry-run: DrSentinel plans, changes nothing" : "Live: DrSentinel acts on its alerts")
            .Append("</p>\n");

        html.Append("<h2>Zones</h2>\n<table id=\"zones\"><tr><th>zone</th><th>verdict</th><th>nodes Ready</th><th>probes failing</th></tr>\n");
        foreach (var zone in snapshot.Zones)
        {
            var impairment = ZoneImpairment.Assess(snapshot, zone.Zone);
            var verdict = impairment.Unavailable ? "unavailable" : impairment.Unreachable ? "unreachable" : zone.Status == ZoneStatus.Degraded ? "degraded"
                : impairment.FailingProbes > 0 ? "probes failing" : "healthy";
            var css = impairment.Impaired ? "bad" : verdict == "healthy" ? "ok" : "warn";
            html.Append(CultureInfo.InvariantCulture,
                $"<tr class=\"{css}\"><td>{E(zone.Zone)}</td><td>{verdict}</td><td>{zone.ReadyNodes}/{zone.Nodes}</td><td>{impairment.FailingProbes}</td></tr>\n");
        }
        html.Append("</table>\n");

        html.Append("<h2>Primaries</h2>\n<table id=\"primaries\"><tr><th>database</th><th>primary in</th><th>status</th><th>answers</th></tr>\n");
        foreach (var db in snapshot.DbInstances.Where(d => d.Role == DbRole.Primary))
        {
            var probe = snapshot.PostgresProbes.FirstOrDefault(p => p.DbInstance == db.Id);
            html.Append(Row(db.Id, db.Zone, db.Status, probe is null ? "not probed" : probe.Up ? probe.InRecovery == false ? "writable" : "read-only" : "no"));
        }
        foreach (var group in snapshot.ReplicationGroups)
        {
            var primary = group.Members.FirstOrDefault(m => m.Role == "primary");
            var probe = primary is null ? null : snapshot.RedisProbes.FirstOrDefault(p => p.CacheClusterId == primary.CacheClusterId);
            html.Append(Row(group.Id, primary?.Zone, group.Status, probe is null ? "not probed" : probe.Up ? probe.Role ?? "?" : "no"));
        }
        html.Append("</table>\n");

        if (!snapshot.ZonalShiftResources.IsEmpty)
        {
            html.Append("<h2>Traffic (ARC zonal shift)</h2>\n<table id=\"traffic\"><tr><th>resource</th><th>weight per zone</th><th>shifted away</th></tr>\n");
            foreach (var resource in snapshot.ZonalShiftResources)
            {
                var shifts = resource.Shifts.Where(x => x.Applied).ToList();
                var weights = string.Join(", ", resource.AppliedWeights.Select(w => string.Create(CultureInfo.InvariantCulture, $"{w.Key} {w.Value:0.##}")));
                var away = shifts.Count == 0 ? "no" : string.Join("<br>", shifts.Select(x => E(string.Create(CultureInfo.InvariantCulture,
                    $"from {x.AwayFrom} by {(x.Ours ? "DrSentinel" : x.GivesWay ? $"AWS ({x.ShiftType})" : "someone else")}{(x.ExpiryTime == DateTimeOffset.MaxValue ? "" : $" until {x.ExpiryTime.UtcDateTime:yyyy-MM-dd HH:mm} UTC")}: {x.Comment}"))));
                html.Append(CultureInfo.InvariantCulture, $"<tr class=\"{(shifts.Count == 0 ? "ok" : "warn")}\"><td>{E(resource.Name)}</td><td>{E(weights)}</td><td>{away}</td></tr>\n");
            }
            html.Append("</table>\n");
        }

        // An evacuation's capacity is only asked for: what is not in service yet, and (in the incident below) AWS's reason.
        var asked = CapacityArrival.Shortfalls(snapshot);
        if (!asked.IsEmpty)
        {
            html.Append("<h2>Capacity asked for, not in service</h2>\n<table id=\"capacity\"><tr><th>group</th><th>evacuation of</th><th>in service / desired</th><th>zones</th></tr>\n");
            foreach (var s in asked)
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr class=\"warn\"><td>{E(s.Group)}</td><td>{E(s.Zone)}</td><td>{s.InService}/{s.Desired}</td><td>{E(string.Join(", ", s.GroupZones))}</td></tr>\n");
            html.Append("</table>\n");
        }

        html.Append("<h2>Incident</h2>\n");
        var open = incidents?.All().Where(i => i.Open).ToList() ?? [];
        if (incidents is null) html.Append("<p>The receiver is off: no incident record here.</p>\n");
        else if (open.Count == 0) html.Append("<p id=\"incident\">No open incident.").Append(incidents.All() is [var last, ..] ? $" Last: {E(last.Id)}." : "").Append("</p>\n");
        foreach (var incident in open)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p id=\"incident\" class=\"bad\">Open: {E(incident.Id)} (zone {E(incident.Zone)})</p>\n<table><tr><th>UTC</th><th>after</th><th>what</th></tr>\n");
            foreach (var entry in incident.Timeline.TakeLast(40))
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{entry.At.UtcDateTime:HH:mm:ss}</td><td>{E(IncidentReport.Duration(entry.At - incident.Began))}</td><td>{E(entry.Kind.ToString())}{(entry.Outcome is null ? "" : $" ({E(entry.Outcome)})")}: {E(entry.Text)}</td></tr>\n");
            html.Append("</table>\n");
        }

        if (services.GetService<Readiness.ReadinessMonitor>()?.Last is { } readiness)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>Ready for a zone loss: {Readiness.ReadinessView.Word(readiness.Verdict)}</h2>\n<table id=\"readiness\"><tr><th>check</th><th>verdict</th><th>reason</th></tr>\n");
            foreach (var check in readiness.Checks)
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr class=\"{(check.Verdict == Readiness.ReadinessVerdict.Ready ? "ok" : "bad")}\"><td>{E(check.Check)}</td><td>{Readiness.ReadinessView.Word(check.Verdict)}</td><td>{E(check.Reason)}</td></tr>\n");
            html.Append("</table>\n");
        }

        html.Append("<h2>If a zone failed now</h2>\n<table id=\"preview\"><tr><th>zone</th><th>playbook</th><th>plan</th><th>steps</th></tr>\n");
        foreach (var zone in snapshot.Zones)
        {
            foreach (var plan in ActionEndpoints.Preview(services.GetRequiredService<PlaybookTable>(), zone.Zone, snapshot, actions, now))
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{E(zone.Zone)}</td><td>{E(plan.Playbook)}{(plan.Resource is null ? "" : $" {E(plan.Resource)}")}</td><td>{plan.Verdict.ToString().ToLowerInvariant()}: {E(plan.Reason)}</td><td>{string.Join("<br>", plan.Steps.Select(s => E(s.Describe())))}</td></tr>\n");
        }
        html.Append("</table>\n");

        html.Append("<h2>Sources</h2>\n<table id=\"sources\"><tr><th>source</th><th>up</th><th>last success (UTC)</th></tr>\n");
        foreach (var (name, status) in snapshot.Sources.OrderBy(s => s.Key, StringComparer.Ordinal))
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"{(status.Up ? "ok" : "bad")}\"><td>{E(name)}</td><td>{(status.Up ? "yes" : "no")}</td><td>{status.LastSuccess?.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture) ?? "never"}</td></tr>\n");
        html.Append("</table>\n</body></html>\n");
        return html.ToString();
    }

    private static string Row(string name, string? zone, string status, string answers) =>
        $"<tr class=\"{(answers is "no" ? "bad" : "ok")}\"><td>{E(name)}</td><td>{E(zone ?? "unknown")}</td><td>{E(status)}</td><td>{E(answers)}</td></tr>\n";

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
