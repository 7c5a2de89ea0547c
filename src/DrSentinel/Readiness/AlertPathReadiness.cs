using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using DrSentinel.Alerting;
using DrSentinel.Clients;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;

namespace DrSentinel.Readiness;

/// <summary>
/// The path from a firing rule to this DrSentinel's webhook, read where it runs: Prometheus has the rules loaded and
/// evaluating (/api/v1/rules); every Alertmanager peer routes each actionable alert, with the labels its rule gives it, to
/// a receiver whose webhook reaches this DrSentinel with a credential (its running configuration, walked as Alertmanager
/// walks it); and the always-firing DrSentinelHeartbeat has arrived lately, which only a working network, credential and
/// route can make happen. One HTTP call per Prometheus and per peer, and one query, per run. Applies where DrSentinel takes
/// alerts, or is told where Prometheus or Alertmanager is.
/// </summary>
public sealed class AlertPathReadiness(
    PlaybookTable playbooks, InventoryStore store, IServiceProvider services, IOptions<ReadinessOptions> options, IOptions<ReceiverOptions> receiver,
    IOptions<InventoryOptions> inventory, TimeProvider time) : IDisposable
{
    public const string RulesCheck = "prometheus-rules";
    public const string RoutesCheck = "alertmanager-routes";
    public const string HeartbeatCheck = "heartbeat";

    private static readonly TimeSpan DefaultHeartbeatWithin = TimeSpan.FromMinutes(10);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly DateTimeOffset _started = time.GetUtcNow();

    public void Dispose() => _http.Dispose();

    public bool Applies => receiver.Value.Enabled || receiver.Value.AlertmanagerUrls.Count > 0 || options.Value.PrometheusUrl is not null;

    public async Task<ImmutableArray<ReadinessCheck>> AssessAsync(CancellationToken cancel)
    {
        if (!Applies) return [];
        var (rules, ruleLabels) = await RulesAsync(cancel).ConfigureAwait(false);
        var (routes, heartbeatRepeat) = await RoutesAsync(ruleLabels, cancel).ConfigureAwait(false);
        return [rules, routes, await HeartbeatAsync(heartbeatRepeat, cancel).ConfigureAwait(false)];
    }

    /// <summary>The alerts the path must carry: every one a playbook answers, and the heartbeat.</summary>
    private readonly ImmutableArray<string> _required = [.. playbooks.AlertNames.Order(StringComparer.Ordinal), Heartbeat.AlertName];

    private async Task<(ReadinessCheck Check, Dictionary<string, IReadOnlyDictionary<string, string>> Labels)> RulesAsync(CancellationToken cancel)
    {
        var labels = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (options.Value.PrometheusUrl is not { } prometheus)
            return (new(RulesCheck, ReadinessVerdict.CouldNotCheck, "Readiness:PrometheusUrl is not set: nothing says DrSentinel's rules are loaded where they are evaluated",
                "set Readiness:PrometheusUrl to the Prometheus that evaluates alerts/drsentinel.rules.yml", []), labels);
        JsonElement groups;
        try
        {
            using var document = await HttpJson.GetAsync(_http, new Uri(prometheus, "api/v1/rules?type=alert"), null, cancel).ConfigureAwait(false);
            groups = document.RootElement.GetProperty("data").GetProperty("groups").Clone();
        }
        catch (Exception e) when (Unreachable(e, cancel))
        {
            return (new(RulesCheck, ReadinessVerdict.CouldNotCheck, $"{prometheus} did not answer /api/v1/rules ({e.GetType().Name}: {e.Message})",
                "check Readiness:PrometheusUrl and that DrSentinel may reach it", []), labels);
        }
        var problems = new List<string>();
        var evidence = new List<string>();
        foreach (var group in groups.EnumerateArray())
        {
            var ours = 0;
            foreach (var rule in group.GetProperty("rules").EnumerateArray())
            {
                var name = rule.GetProperty("name").GetString() ?? "";
                if (!_required.Contains(name)) continue;
                ours++;
                var ruleLabels = rule.TryGetProperty("labels", out var l) ? l.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal) : [];
                labels.TryAdd(name, ruleLabels);
                if (rule.TryGetProperty("health", out var health) && health.GetString() == "err")
                    problems.Add($"{name} fails to evaluate: {(rule.TryGetProperty("lastError", out var error) ? error.GetString() : "no error given")}");
            }
            if (ours > 0) evidence.Add($"group {group.GetProperty("name").GetString()} ({group.GetProperty("file").GetString()}): {ours} of DrSentinel's rules");
        }
        problems.InsertRange(0, _required.Where(name => !labels.ContainsKey(name)).Select(name => $"{name} is not loaded"));
        return (ReadinessCheck.From(RulesCheck, problems, evidence,
            $"the {_required.Length} rules DrSentinel acts on (heartbeat included) are loaded in {prometheus} and evaluating without errors",
            "load alerts/drsentinel.rules.yml into Prometheus (the chart's prometheusRule.enabled), then see its /rules page for errors"), labels);
    }

    private async Task<(ReadinessCheck Check, AlertmanagerDestination? Heartbeat)> RoutesAsync(Dictionary<string, IReadOnlyDictionary<string, string>> ruleLabels, CancellationToken cancel)
    {
        var peers = receiver.Value.AlertmanagerUrls;
        if (peers.Count == 0)
            return (new(RoutesCheck, ReadinessVerdict.CouldNotCheck, "Receiver:AlertmanagerUrls is not set: where Alertmanager sends DrSentinel's alerts cannot be read",
                "set Receiver:AlertmanagerUrls to every Alertmanager peer", []), null);
        var problems = new List<string>();
        var evidence = new List<string>();
        var unread = new List<string>();
        AlertmanagerDestination? heartbeat = null;
        foreach (var peer in peers)
        {
            AlertmanagerRouting routing;
            try
            {
                using var document = await HttpJson.GetAsync(_http, new Uri(peer, "api/v2/status"), receiver.Value.AlertmanagerTokenFile, cancel).ConfigureAwait(false);
                routing = AlertmanagerRouting.Parse(document.RootElement.GetProperty("config").GetProperty("original").GetString() ?? "");
            }
            catch (Exception e) when (Unreachable(e, cancel))
            {
                unread.Add($"{peer} ({e.GetType().Name}: {e.Message})");
                continue;
            }
            foreach (var alert in _required)
            {
                var labels = Labels(alert, ruleLabels);
                var destinations = routing.Match(labels);
                var ours = destinations.Where(d => routing.Webhooks(d.Receiver).Any(w => Reaches(w.Url))).ToList();
                evidence.Add($"{peer}: {alert} → {string.Join(", ", destinations.Select(d => $"{d.Receiver} (group_wait {Words(d.GroupWait)}, repeat {Words(d.RepeatInterval)})"))}");
                if (ours.Count == 0)
                {
                    problems.Add($"{peer} sends {alert} to {string.Join(", ", destinations.Select(d => d.Receiver).Distinct())}, whose webhooks do not reach this DrSentinel ({Expected})");
                    continue;
                }
                var hooks = ours.SelectMany(d => routing.Webhooks(d.Receiver)).Where(w => Reaches(w.Url)).ToList();
                if (!receiver.Value.AllowUnauthenticated && !hooks.Any(w => w.HasCredential))
                    problems.Add($"{peer} sends {alert} to {ours[0].Receiver} without a credential: DrSentinel refuses it (401)");
                if (alert != Heartbeat.AlertName && !hooks.Any(w => w.SendResolved))
                    problems.Add($"{peer}'s {ours[0].Receiver} has send_resolved: false: the resolution that restores a zone never arrives");
                if (alert == Heartbeat.AlertName && (heartbeat is null || ours[0].RepeatInterval > heartbeat.RepeatInterval)) heartbeat = ours[0];
            }
        }
        if (unread.Count == peers.Count)
            return (new(RoutesCheck, ReadinessVerdict.CouldNotCheck, $"no Alertmanager peer answered /api/v2/status: {string.Join("; ", unread)}",
                "check Receiver:AlertmanagerUrls, Receiver:AlertmanagerTokenFile and that DrSentinel may reach them", []), heartbeat);
        problems.AddRange(unread.Select(u => $"{u} did not answer /api/v2/status"));
        return (ReadinessCheck.From(RoutesCheck, problems, evidence,
            $"every Alertmanager peer ({peers.Count}) routes each alert DrSentinel acts on, and its heartbeat, to a webhook reaching it with a credential",
            "route the alerts to DrSentinel's receiver as alerts/alertmanager.example.yml does (its route first, with continue: true; a credential in http_config)"), heartbeat);
    }

    private async Task<ReadinessCheck> HeartbeatAsync(AlertmanagerDestination? route, CancellationToken cancel)
    {
        var within = options.Value.HeartbeatWithin ?? (route is null ? DefaultHeartbeatWithin : 2 * route.RepeatInterval);
        var own = services.GetService<Heartbeat>();
        var last = own?.LastReceived;
        var evidence = new List<string> { $"this replica: {(last is { } l ? $"last received {l.UtcDateTime:HH:mm:ss} UTC" : "none received since it started")}" };
        if (options.Value.PrometheusUrl is { } prometheus)
        {
            var cluster = inventory.Value.ClusterName;
            var query = $"max(drsentinel_heartbeat_last_received_timestamp_seconds{(cluster.Length > 0 ? $"{{cluster=\"{cluster}\"}}" : "")})";
            try
            {
                using var document = await HttpJson.GetAsync(_http, new Uri(prometheus, "api/v1/query?query=" + Uri.EscapeDataString(query)), null, cancel).ConfigureAwait(false);
                var result = document.RootElement.GetProperty("data").GetProperty("result");
                if (result.GetArrayLength() > 0
                    && double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture) is var seconds and > 0)
                {
                    var seen = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
                    evidence.Add($"any replica, as Prometheus has it: last received {seen.UtcDateTime:HH:mm:ss} UTC");
                    if (last is null || seen > last) last = seen;
                }
                else
                {
                    evidence.Add("any replica, as Prometheus has it: none received");
                }
            }
            catch (Exception e) when (Unreachable(e, cancel))
            {
                evidence.Add($"Prometheus did not answer {query} ({e.GetType().Name})");
            }
        }
        var now = time.GetUtcNow();
        var remedy = $"see DrSentinelHeartbeatMissing's runbook: the rule {Heartbeat.AlertName}, its route to DrSentinel's receiver, the network and the credential";
        if (last is { } at)
            return now - at <= within
                ? new(HeartbeatCheck, ReadinessVerdict.Ready, $"{Heartbeat.AlertName} arrived {Words(now - at)} ago (within {Words(within)}): Prometheus, Alertmanager, the route and the credential work",
                    "", [.. evidence])
                : new(HeartbeatCheck, ReadinessVerdict.NotReady, $"the last {Heartbeat.AlertName} arrived {Words(now - at)} ago, more than {Words(within)}: the path from Alertmanager to DrSentinel is broken",
                    remedy, [.. evidence]);
        var waiting = now - (own?.StartedAt ?? _started);
        return waiting < within
            ? new(HeartbeatCheck, ReadinessVerdict.CouldNotCheck, $"no {Heartbeat.AlertName} yet; waiting {Words(waiting)} of {Words(within)}", remedy, [.. evidence])
            : new(HeartbeatCheck, ReadinessVerdict.NotReady, $"no {Heartbeat.AlertName} in {Words(waiting)}, more than {Words(within)}: the path from Alertmanager to DrSentinel is broken",
                remedy, [.. evidence]);
    }

    /// <summary>The labels an alert carries when its rule fires here: the rule's own, the cluster's, a zone and a resource.</summary>
    private Dictionary<string, string> Labels(string alert, Dictionary<string, IReadOnlyDictionary<string, string>> ruleLabels)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = alert };
        if (ruleLabels.TryGetValue(alert, out var fromRule)) foreach (var (key, value) in fromRule) labels[key] = value;
        else if (alert != Heartbeat.AlertName) labels["severity"] = "critical";
        if (inventory.Value.ClusterName.Length > 0) labels["cluster"] = inventory.Value.ClusterName;
        if (alert == Heartbeat.AlertName) return labels;
        labels["az"] = store.Current.Zones.Select(z => z.Zone).FirstOrDefault() ?? "zone";
        if (playbooks.ResourceLabelOf(alert) is { } resource) labels[resource] = "resource";
        return labels;
    }

    private string Expected => options.Value.WebhookUrl is { } url ? url.ToString() : $"a URL with the path {receiver.Value.Path}";

    /// <summary>A webhook URL that is this DrSentinel's: the configured one, or any with its path. A hidden URL cannot be told apart.</summary>
    private bool Reaches(string? url)
    {
        if (url is null) return false;
        if (url == "<secret>") return true;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return false;
        return options.Value.WebhookUrl is { } expected
            ? Uri.Compare(uri, expected, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0
            : uri.AbsolutePath.TrimEnd('/') == receiver.Value.Path.TrimEnd('/');
    }

    private static bool Unreachable(Exception e, CancellationToken cancel) =>
        e is HttpRequestException or IOException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException or UnauthorizedAccessException
        || (e is OperationCanceledException && !cancel.IsCancellationRequested);

    private static string Words(TimeSpan span) => span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0} s";
}
