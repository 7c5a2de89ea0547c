using System.Collections.Immutable;
using DrSentinel.Actions;
using DrSentinel.Alerting;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;
using Prometheus;

namespace DrSentinel.Readiness;

public sealed class ReadinessOptions
{
    public const string Section = "Readiness";

    /// <summary>How often the checks run (and once at start, after the inventory's first refresh).</summary>
    public TimeSpan Every { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The Prometheus that evaluates DrSentinel's rules: they must be loaded there, and it has every replica's heartbeat.</summary>
    public Uri? PrometheusUrl { get; set; }

    /// <summary>The URL Alertmanager calls DrSentinel's webhook by; unset, any webhook URL with Receiver:Path counts as this DrSentinel's.</summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>Set by `doctor`, which runs without the receiver: the checks are those of a DrSentinel that acts.</summary>
    public bool ForDoctor { get; set; }

    /// <summary>The heartbeat is late after this long; unset, twice the repeat interval of its route (10 min when that cannot be read).</summary>
    public TimeSpan? HeartbeatWithin { get; set; }
}

/// <summary>One run of every check, and when it ran.</summary>
public sealed record ReadinessReport(DateTimeOffset At, ImmutableArray<ReadinessCheck> Checks)
{
    public ReadinessVerdict Verdict => Checks.Any(c => c.Verdict == ReadinessVerdict.NotReady) ? ReadinessVerdict.NotReady
        : Checks.Any(c => c.Verdict == ReadinessVerdict.CouldNotCheck) ? ReadinessVerdict.CouldNotCheck : ReadinessVerdict.Ready;
}

/// <summary>
/// Proves, before the disaster, that what the playbooks need is in place: runs the readiness checks (read-only) at start
/// and every <see cref="ReadinessOptions.Every"/>, and exports drsentinel_readiness{check} (1 ready, 0 not ready or not
/// checked; no series where a check does not apply) and drsentinel_readiness_last_run_timestamp_seconds.
/// </summary>
public sealed partial class ReadinessMonitor(
    InventoryStore store, IEnumerable<IInventorySource> sources, IServiceProvider services, IOptions<ActionOptions> actions, IOptions<ReceiverOptions> receiver,
    IOptions<Inventory.InventoryOptions> inventory, IOptions<ReadinessOptions> options, IMetricFactory metrics, TimeProvider time,
    ILogger<ReadinessMonitor> logger) : BackgroundService
{
    private readonly Gauge _ready = metrics.CreateGauge("drsentinel_readiness",
        "1 when the readiness check passes, 0 when it does not or could not be checked (GET /readiness says why); no series where a check does not apply.",
        new GaugeConfiguration { LabelNames = ["check"] });

    private readonly Gauge _lastRun = metrics.CreateGauge("drsentinel_readiness_last_run_timestamp_seconds", "When the readiness checks last ran.");
    private readonly HashSet<string> _series = [];
    // The engine's own where the receiver runs; else one that reads the same places (doctor, an exporter-only replica).
    private readonly Lazy<KillSwitch> _killSwitch = new(() => services.GetService<KillSwitch>() ?? ActivatorUtilities.CreateInstance<KillSwitch>(services));
    private readonly AlertPathReadiness _alertPath = ActivatorUtilities.CreateInstance<AlertPathReadiness>(services);
    private readonly KubernetesPermissions _kubernetes = ActivatorUtilities.CreateInstance<KubernetesPermissions>(services);
    private readonly AwsPermissions _aws = ActivatorUtilities.CreateInstance<AwsPermissions>(services);
    private volatile ReadinessReport? _last;

    /// <summary>The last run; null before the first.</summary>
    public ReadinessReport? Last => _last;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await store.WaitForFirstRefreshAsync(sources, TimeSpan.FromMinutes(2), time, stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(options.Value.Every, time);
        do
        {
            try
            {
                Export(await RunAsync(stoppingToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // A readiness run never stops DrSentinel: said, and tried again at the next tick.
                LogRunFailed(logger, e, "every check");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override void Dispose()
    {
        _alertPath.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// Runs every check now; without <paramref name="alertPath"/> (a drill, whose own Prometheus and Alertmanager stand in
    /// for production's) the path from the rules to the webhook is not judged.
    /// </summary>
    public async Task<ReadinessReport> RunAsync(CancellationToken cancel, bool alertPath = true)
    {
        var path = alertPath
            ? await GuardAsync([AlertPathReadiness.RulesCheck, AlertPathReadiness.RoutesCheck, AlertPathReadiness.HeartbeatCheck],
                () => _alertPath.AssessAsync(cancel), cancel).ConfigureAwait(false)
            : [];
        var kubernetes = await GuardAsync([KubernetesPermissions.Check], async () => [await _kubernetes.AssessAsync(cancel).ConfigureAwait(false)], cancel)
            .ConfigureAwait(false);
        var aws = await GuardAsync([AwsPermissions.Check], async () => [await _aws.AssessAsync(cancel).ConfigureAwait(false)], cancel).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var history = services.GetService<ActionHistory>();
        var used = history is null ? 0 : ActionBudget.TestFailoversLast24Hours(history.Snapshot(), now);
        var checks = services.GetRequiredService<PlaybookTable>().Readiness(new ReadinessRequest(store.Current, actions.Value.Policy(), used, inventory.Value.ZonalShiftResources))
            .AddRange(SelfReadiness.Assess(actions.Value, receiver.Value, _killSwitch.Value))
            .Add(SelfReadiness.ClockSkew(services.GetRequiredService<ApiCallRecorder>().AwsClockSkew));
        if (receiver.Value.Enabled && services.GetService<Leadership.LeaseElector>() is { Enabled: true } elector) checks = checks.Add(SelfReadiness.Leader(elector));
        var report = new ReadinessReport(now, checks.AddRange(kubernetes).AddRange(aws).AddRange(path));
        if (alertPath) _last = report; // the status page shows whole runs only
        return report;
    }

    /// <summary>A check that fails in a way nobody foresaw is "could not check", with the exception in the log; never a crash.</summary>
    private async Task<ImmutableArray<ReadinessCheck>> GuardAsync(string[] checks, Func<Task<ImmutableArray<ReadinessCheck>>> assess, CancellationToken cancel)
    {
        try
        {
            return await assess().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            LogRunFailed(logger, e, string.Join(", ", checks));
            return [.. checks.Select(c => new ReadinessCheck(c, ReadinessVerdict.CouldNotCheck, $"the check failed unexpectedly ({e.GetType().Name}: {e.Message})",
                "see DrSentinel's log (event 5034)", []))];
        }
    }

    [LoggerMessage(EventId = EventIds.ReadinessCheckFailed, Level = LogLevel.Warning, Message = "Readiness: {Checks} failed unexpectedly; shown as could not check")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, string checks);

    private void Export(ReadinessReport report)
    {
        lock (_series)
        {
            foreach (var gone in _series.Where(s => report.Checks.All(c => c.Check != s)).ToList())
            {
                _ready.RemoveLabelled(gone);
                _series.Remove(gone);
            }
            foreach (var check in report.Checks)
            {
                _ready.WithLabels(check.Check).Set(check.Verdict == ReadinessVerdict.Ready ? 1 : 0);
                _series.Add(check.Check);
            }
        }
        _lastRun.Set(report.At.ToUnixTimeMilliseconds() / 1000.0);
    }
}

/// <summary>DrSentinel itself: the kill switch (engaged is not ready; dry-run is ready, and said) and its state directory.</summary>
public static class SelfReadiness
{
    public const string KillSwitchCheck = "kill-switch";
    public const string StateDirectory = "state-directory";

    public static ImmutableArray<ReadinessCheck> Assess(ActionOptions actions, ReceiverOptions receiver, KillSwitch killSwitch)
    {
        var (byConfiguration, atRuntime) = (killSwitch.EngagedByConfiguration, killSwitch.EngagedAtRuntime);
        var mode = actions.DryRun ? "dry-run: plans are made and said, nothing is changed (Actions:DryRun)" : "live";
        ReadinessCheck kill = byConfiguration || atRuntime
            ? new(KillSwitchCheck, ReadinessVerdict.NotReady, $"the kill switch is engaged {(byConfiguration ? "by configuration (Actions:KillSwitch)" : "at runtime (POST /actions/kill-switch)")}: nothing would be changed",
                byConfiguration ? "set Actions:KillSwitch=false" : "POST /actions/kill-switch?engaged=false with the operators' token, once it is safe", [mode])
            : new(KillSwitchCheck, ReadinessVerdict.Ready, $"released; {mode}", "", [mode]);
        return [kill, Writable(receiver.StateDirectory)];
    }

    public const string ClockSkewCheck = "clock-skew";

    /// <summary>AWS refuses a SigV4 request signed more than 5 minutes off its clock; this one is not ready a minute before.</summary>
    public static readonly TimeSpan ClockSkewLimit = TimeSpan.FromMinutes(4);

    /// <summary>This host's clock against AWS's, from the Date of AWS's last answer.</summary>
    public static ReadinessCheck ClockSkew(TimeSpan? skew)
    {
        if (skew is not { } off)
            return new(ClockSkewCheck, ReadinessVerdict.CouldNotCheck, "no answer from AWS yet", "see drsentinel_source_up and the log: DrSentinel cannot reach AWS", []);
        var said = $"AWS's clock is {off.TotalSeconds:+0;-0;0} s from this host's";
        return off.Duration() < ClockSkewLimit
            ? new(ClockSkewCheck, ReadinessVerdict.Ready, said, "", [said])
            : new(ClockSkewCheck, ReadinessVerdict.NotReady, $"{said}: AWS refuses requests signed more than 5 minutes off (RequestExpired, \"Signature expired\")",
                "synchronise this host's clock (chrony or the node's NTP; on EC2 the Amazon Time Sync Service at 169.254.169.123)", [said]);
    }

    public const string LeaderCheck = "leader";

    /// <summary>With leader election on: some replica holds the Lease and renews it (this one, or one it sees renewing).</summary>
    public static ReadinessCheck Leader(Leadership.LeaseElector elector)
    {
        var (holder, renewing) = elector.Leader;
        return holder is not null && renewing
            ? new(LeaderCheck, ReadinessVerdict.Ready, holder == elector.Identity ? $"{holder} (this replica) leads" : $"{holder} leads and renews the Lease", "", [$"seen by {elector.Identity}"])
            : new(LeaderCheck, ReadinessVerdict.NotReady, holder is null ? "nobody holds the Lease: alerts are kept, nothing is acted on" : $"{holder} holds the Lease but has not renewed it within its duration",
                "see DrSentinelNoLeader's runbook: the replicas' Lease permissions (get, update leases) and their logs", [$"seen by {elector.Identity}"]);
    }

    /// <summary>The inbox journal, the action history and the incidents are written there: a file is created and removed.</summary>
    private static ReadinessCheck Writable(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, $".readiness-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return new(StateDirectory, ReadinessVerdict.Ready, $"{directory} is writable", "", [directory]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(StateDirectory, ReadinessVerdict.NotReady, $"{directory} is not writable ({e.GetType().Name}): alerts could not be taken durably",
                "mount a writable volume at Receiver:StateDirectory", [directory]);
        }
    }
}
