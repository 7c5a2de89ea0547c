using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using DrSentinel.Incidents;
using DrSentinel.Inventory;

namespace DrSentinel.Drill.Live;

/// <summary>
/// Who decides that an alert fires during a drill: a real Prometheus evaluating alerts/drsentinel.rules.yml and a real
/// Alertmanager calling DrSentinel's webhook, where this machine has them (Debian's prometheus and
/// prometheus-alertmanager); otherwise the drill itself, posting the zone's alerts to the webhook once the zone's signal
/// has held for the rule's `for`, as Alertmanager would. <see cref="Description"/> says which.
/// </summary>
public abstract class DrillAlerting : IAsyncDisposable
{
    public abstract string Description { get; }

    /// <summary>Returns once the alerts can be evaluated: Prometheus has scraped DrSentinel.</summary>
    public virtual Task ReadyAsync(TimeProvider time, CancellationToken cancel) => Task.CompletedTask;

    public abstract ValueTask DisposeAsync();

    /// <summary>Real Prometheus and Alertmanager where both are installed and the rules file is found, else the drill's own.</summary>
    public static async Task<DrillAlerting> StartAsync(Uri drsentinel, string cluster, InventoryStore store, TimeProvider time, CancellationToken cancel)
    {
        var rules = Path.Combine(AppContext.BaseDirectory, "alerts", "drsentinel.rules.yml");
        var prometheus = OnPath("prometheus");
        var alertmanager = OnPath("prometheus-alertmanager");
        if (prometheus is not null && alertmanager is not null && File.Exists(rules))
            return await RealAlerting.StartAsync(prometheus, alertmanager, rules, drsentinel, cluster, time, cancel).ConfigureAwait(false);
        var why = File.Exists(rules) ? "Prometheus and Alertmanager are not installed (apt-get install prometheus prometheus-alertmanager)" : $"{rules} is missing";
        return new DrillOwnAlerting(drsentinel, cluster, store, time, why);
    }

    private static string? OnPath(string program) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Prometheus scraping DrSentinel every second with the project's rules, Alertmanager sending to its webhook at once.</summary>
internal sealed class RealAlerting(string directory, Process prometheus, Process alertmanager, Uri prometheusUrl, string description) : DrillAlerting
{
    public override string Description => description;

    public override async Task ReadyAsync(TimeProvider time, CancellationToken cancel)
    {
        using var http = new HttpClient { BaseAddress = prometheusUrl, Timeout = TimeSpan.FromSeconds(2) };
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < TimeSpan.FromSeconds(60))
        {
            try
            {
                var answer = await http.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString("count(drsentinel:az_unreachable:bool)"), cancel).ConfigureAwait(false);
                if (answer.Contains("\"value\"", StringComparison.Ordinal)) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancel).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"Prometheus at {prometheusUrl} has not evaluated DrSentinel's rules after 60 s");
    }

    public static async Task<RealAlerting> StartAsync(string prometheusPath, string alertmanagerPath, string rules, Uri drsentinel, string cluster,
        TimeProvider time, CancellationToken cancel)
    {
        var directory = Directory.CreateTempSubdirectory("drsentinel-drill-alerting-").FullName;
        var (promPort, amPort) = (FreePort(), FreePort());
        await File.WriteAllTextAsync(Path.Combine(directory, "alertmanager.yml"), $"""
            route:
              receiver: drsentinel
              group_by: ['...']
              group_wait: 0s
              group_interval: 1s
              repeat_interval: 5m
            receivers:
              - name: drsentinel
                webhook_configs:
                  - url: {new Uri(drsentinel, "alertmanager/webhook")}
                    send_resolved: true
            """, cancel).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: ['{rules}']
            alerting:
              alertmanagers: [{"{"}static_configs: [{"{"}targets: ['127.0.0.1:{amPort}']{"}"}]{"}"}]
            scrape_configs:
              - job_name: drsentinel
                static_configs:
                  - targets: ['{drsentinel.Authority}']
                    labels: {"{"}cluster: {cluster}{"}"}
            """, cancel).ConfigureAwait(false);
        var am = Start(alertmanagerPath, $"--config.file={directory}/alertmanager.yml", $"--storage.path={directory}/am", $"--web.listen-address=127.0.0.1:{amPort}",
            "--cluster.listen-address=", "--log.level=warn");
        var prom = Start(prometheusPath, $"--config.file={directory}/prometheus.yml", $"--storage.tsdb.path={directory}/prom",
            $"--web.listen-address=127.0.0.1:{promPort}", "--log.level=warn");
        var alerting = new RealAlerting(directory, prom, am, new Uri($"http://127.0.0.1:{promPort}/"),
            $"Prometheus ({prometheusPath}, alerts/drsentinel.rules.yml, 1 s scrapes) and Alertmanager ({alertmanagerPath}, group_interval 1 s) on 127.0.0.1:{promPort} and :{amPort}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var started = time.GetTimestamp();
        foreach (var ready in new[] { $"http://127.0.0.1:{amPort}/-/ready", $"http://127.0.0.1:{promPort}/-/ready" })
        {
            while (true)
            {
                if (prom.HasExited || am.HasExited || time.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
                {
                    await alerting.DisposeAsync().ConfigureAwait(false);
                    throw new InvalidOperationException($"Prometheus or Alertmanager did not start (see {directory})");
                }
                try
                {
                    if ((await http.GetAsync(ready, cancel).ConfigureAwait(false)).IsSuccessStatusCode) break;
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancel).ConfigureAwait(false);
            }
        }
        return alerting;
    }

    private static Process Start(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var process in new[] { prometheus, alertmanager })
        {
            if (!process.HasExited) process.Kill(); // neither has children
            await process.WaitForExitAsync().ConfigureAwait(false);
            process.Dispose();
        }
        Directory.Delete(directory, recursive: true);
    }
}

/// <summary>
/// Without Prometheus: the zone alert (and the primary-in-impaired-zone alerts of the databases whose primary is in the
/// zone) posted to the webhook once the zone's signal has held for the rule's `for` (2 min unavailable, 1 min
/// unreachable), repeated as Alertmanager repeats, and resolved when the signal clears.
/// </summary>
internal sealed class DrillOwnAlerting : DrillAlerting
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly string _why;

    public DrillOwnAlerting(Uri drsentinel, string cluster, InventoryStore store, TimeProvider time, string why)
    {
        _why = why;
        _loop = RunAsync(drsentinel, cluster, store, time, _stop.Token);
    }

    public override string Description => $"the drill's own evaluation of the zone alerts ({_why}): posted to the webhook once the zone's signal held for the rule's for";

    private static async Task RunAsync(Uri drsentinel, string cluster, InventoryStore store, TimeProvider time, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = drsentinel, Timeout = TimeSpan.FromSeconds(5) };
        var since = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var firing = new Dictionary<string, List<(Dictionary<string, string> Labels, DateTimeOffset StartsAt)>>(StringComparer.Ordinal);
        var lastSent = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var snapshot = store.Current;
                var now = time.GetUtcNow();
                foreach (var zone in snapshot.Zones.Select(z => z.Zone))
                {
                    var signal = IncidentLog.ZoneSignal(snapshot, zone);
                    if (signal is null)
                    {
                        since.Remove(zone);
                        if (firing.Remove(zone, out var resolved)) await PostAsync(http, resolved, firing: false, now, stop).ConfigureAwait(false);
                        continue;
                    }
                    var start = since.TryGetValue(zone, out var s) ? s : since[zone] = now;
                    var unavailable = signal.StartsWith("drsentinel_az_status", StringComparison.Ordinal);
                    if (now - start < TimeSpan.FromMinutes(unavailable ? 2 : 1)) continue;
                    if (!firing.TryGetValue(zone, out var alerts))
                    {
                        alerts = [(Labels(cluster, unavailable ? "DrSentinelAzUnavailable" : "DrSentinelAzUnreachable", zone), start)];
                        alerts.AddRange(snapshot.DbInstances.Where(d => d.Role == DbRole.Primary && d.Zone == zone)
                            .Select(d => (Labels(cluster, "DrSentinelRdsPrimaryInImpairedAz", zone, ("db_instance", d.Id)), start)));
                        alerts.AddRange(snapshot.ReplicationGroups.Where(g => g.Members.Any(m => m.Role == "primary" && m.Zone == zone))
                            .Select(g => (Labels(cluster, "DrSentinelRedisPrimaryInImpairedAz", zone, ("replication_group", g.Id)), start)));
                        firing[zone] = alerts;
                    }
                    if (lastSent.TryGetValue(zone, out var sent) && now - sent < TimeSpan.FromSeconds(30)) continue;
                    lastSent[zone] = now;
                    await PostAsync(http, alerts, firing: true, now, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static Dictionary<string, string> Labels(string cluster, string alert, string zone, params (string Name, string Value)[] more)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = alert, ["az"] = zone, ["cluster"] = cluster };
        foreach (var (name, value) in more) labels[name] = value;
        return labels;
    }

    private static async Task PostAsync(HttpClient http, List<(Dictionary<string, string> Labels, DateTimeOffset StartsAt)> alerts, bool firing, DateTimeOffset now,
        CancellationToken stop)
    {
        var body = new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"{{\"version\":\"4\",\"status\":\"{(firing ? "firing" : "resolved")}\",\"receiver\":\"drsentinel\",\"groupKey\":\"drill\",\"alerts\":[");
        body.AppendJoin(',', alerts.Select(a =>
        {
            var labels = string.Join(',', a.Labels.Select(l => $"\"{l.Key}\":\"{l.Value}\""));
            var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(labels)).AsSpan(0, 8));
            var ends = firing ? "0001-01-01T00:00:00Z" : now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
            return $"{{\"status\":\"{(firing ? "firing" : "resolved")}\",\"labels\":{{{labels}}},\"annotations\":{{}},\"startsAt\":\"{a.StartsAt.UtcDateTime:O}\",\"endsAt\":\"{ends}\",\"fingerprint\":\"{fingerprint}\"}}";
        })).Append("]}");
        try
        {
            using var content = new StringContent(body.ToString(), Encoding.UTF8, "application/json");
            using var _ = await http.PostAsync("alertmanager/webhook", content, stop).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            // sent again with the next repeat
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
