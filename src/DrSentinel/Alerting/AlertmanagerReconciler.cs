using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DrSentinel.Clients;
using DrSentinel.Inventory;
using DrSentinel.Leadership;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;
using Prometheus;

namespace DrSentinel.Alerting;

/// <summary>
/// Level-triggered: the leader reads the active alerts from Alertmanager's API v2 (every peer in
/// <see cref="ReceiverOptions.AlertmanagerUrls"/>) on taking over, when another replica accepted a new alert, and every
/// <see cref="ReceiverOptions.ReconcileEvery"/>, and puts them into its inbox as if delivered: one it had (the same
/// fingerprint, start and status) is a duplicate, one it missed — accepted by a replica that then died, or by a follower —
/// is acted on. A zone whose capacity DrSentinel changed (the ledger on the groups and nodes) while no peer lists an alert
/// for it any more is restored, as its lost resolution would have; only when every peer answered, and the restore still
/// waits for the zone to look healthy. Without URLs, webhooks are the only source.
/// </summary>
public sealed partial class AlertmanagerReconciler : BackgroundService
{
    /// <summary>The group key of every alert the leader read from Alertmanager's API, or made up, rather than received.</summary>
    public const string GroupKey = "reconciled";

    /// <summary>The alerts that name a zone only: a zone changed for one of them is restored when no peer lists any.</summary>
    private readonly string[] _zoneAlerts;
    private readonly PlaybookTable _playbooks;

    private readonly AlertInbox _inbox;
    private readonly InventoryStore _store;
    private readonly LeaseElector _leadership;
    private readonly ReceiverOptions _options;
    private readonly string _clusterName;
    private readonly TimeProvider _time;
    private readonly ILogger<AlertmanagerReconciler> _logger;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Counter _reconciles;
    private readonly Counter _found;
    private readonly Dictionary<string, DateTimeOffset> _missingSince = new(StringComparer.Ordinal); // zone -> first seen with a ledger and no alert
    private long _lastRequest = long.MinValue;

    public AlertmanagerReconciler(AlertInbox inbox, InventoryStore store, LeaseElector leadership, PlaybookTable playbooks, IOptions<ReceiverOptions> options,
        IOptions<InventoryOptions> inventory, IMetricFactory metrics, TimeProvider time, ILogger<AlertmanagerReconciler> logger)
    {
        (_inbox, _store, _leadership, _options, _clusterName, _time, _logger) = (inbox, store, leadership, options.Value, inventory.Value.ClusterName, time, logger);
        _playbooks = playbooks;
        _zoneAlerts = [.. playbooks.ZoneAlerts.Order(StringComparer.Ordinal)];
        _reconciles = metrics.CreateCounter("drsentinel_alertmanager_reconciles_total",
            "Reads of the active alerts from Alertmanager by the leader, by outcome: ok (every peer answered), partial, failed.",
            new CounterConfiguration { LabelNames = ["outcome"] });
        _found = metrics.CreateCounter("drsentinel_reconciled_alerts_total",
            "Alerts this replica learnt of from Alertmanager's API and not from a webhook (resolved: a zone restored because no peer lists its alert).",
            new CounterConfiguration { LabelNames = ["status"] });
    }

    public bool Configured => _options.AlertmanagerUrls.Count > 0;

    /// <summary>
    /// A follower that accepted a new alert asks the leader to reconcile now (a changed annotation on the Lease, which the
    /// leader reads every retry period); at most once a second.
    /// </summary>
    public void RequestFromFollower()
    {
        if (!Configured || !_leadership.Enabled || _leadership.IsLeader) return;
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastRequest);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1)) return;
        if (Interlocked.CompareExchange(ref _lastRequest, now, last) != last) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await _leadership.AnnotateAsync(SharedKeys.ReconcileRequested, $"{_leadership.Identity} {_time.GetUtcNow():O}", CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
            {
                LogRequestFailed(_logger, e); // the leader's periodic read finds the alert anyway
            }
        });
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Configured)
        {
            if (_leadership.Enabled) LogOff(_logger);
            return;
        }
        var lastTerm = int.MinValue;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _leadership.LeadingAsync(stoppingToken).ConfigureAwait(false);
                if (_leadership.Term == lastTerm) await NextReasonAsync(stoppingToken).ConfigureAwait(false);
                await _leadership.LeadingAsync(stoppingToken).ConfigureAwait(false);
                lastTerm = _leadership.Term; // a new term reconciles at once: what the one before knew may not have reached this replica
                try
                {
                    await ReconcileOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogFailed(_logger, null, e.Message); // tried again at the next reason
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Waits for the period, or a follower's request, whichever comes first.</summary>
    private async Task NextReasonAsync(CancellationToken stop)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var period = Task.Delay(_options.ReconcileEvery, _time, either.Token);
        var requested = _leadership.ReconcileRequests.WaitToReadAsync(either.Token).AsTask();
        await Task.WhenAny(period, requested).ConfigureAwait(false);
        await either.CancelAsync().ConfigureAwait(false);
        stop.ThrowIfCancellationRequested();
        while (_leadership.ReconcileRequests.TryRead(out _))
        {
        }
    }

    /// <summary>One read of every peer and what follows from it; returns how many alerts were new to this replica.</summary>
    private async Task<int> ReconcileOnceAsync(CancellationToken stop)
    {
        var listed = new Dictionary<string, ReceivedAlert>(StringComparer.Ordinal); // by dedup key
        var active = new HashSet<string>(StringComparer.Ordinal);
        var answered = 0;
        foreach (var url in _options.AlertmanagerUrls)
        {
            try
            {
                foreach (var (alert, suppressed) in await ReadAsync(url, stop).ConfigureAwait(false))
                {
                    listed.TryAdd(alert.DedupKey, alert);
                    if (!suppressed) active.Add(alert.DedupKey);
                }
                answered++;
            }
            catch (Exception e) when (!stop.IsCancellationRequested) // whatever a peer answers, it must not stop the replica
            {
                LogFailed(_logger, url, e.Message);
            }
        }
        _reconciles.WithLabels(answered == 0 ? "failed" : answered < _options.AlertmanagerUrls.Count ? "partial" : "ok").Inc();
        if (answered == 0) return 0;

        // Acted on as Alertmanager would deliver it: the active ones (not silenced, not inhibited).
        var firing = listed.Values.Where(a => active.Contains(a.DedupKey)).ToList();
        // Restores only on every peer's word: a peer that restarted lists nothing for a minute.
        var resolved = answered == _options.AlertmanagerUrls.Count ? Resolutions(listed.Values) : [];
        List<ReceivedAlert> offered = [.. firing, .. resolved];
        if (offered.Count == 0) return 0;
        IReadOnlyList<AcceptOutcome> outcomes;
        try
        {
            outcomes = await _inbox.AcceptAsync(offered, null, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InboxFullException or IOException or UnauthorizedAccessException)
        {
            LogFailed(_logger, null, e.Message);
            return 0;
        }
        var found = 0;
        for (var i = 0; i < offered.Count; i++)
        {
            if (outcomes[i] != AcceptOutcome.Accepted) continue;
            found++;
            var alert = offered[i];
            _found.WithLabels(alert.Firing ? "firing" : "resolved").Inc();
            if (alert.Firing) LogFound(_logger, alert.Name, alert.Labels.GetValueOrDefault("az") ?? "", alert.Fingerprint);
            else LogInferredResolved(_logger, alert.Name, alert.Labels.GetValueOrDefault("az") ?? "", alert.Fingerprint);
        }
        return found;
    }

    /// <summary>
    /// A resolution for each zone DrSentinel changed capacity for while no peer lists a zone alert for it. Its key stays
    /// the same while the zone stays so in this process (repeated reads are duplicates); a later episode gets a new one.
    /// </summary>
    private List<ReceivedAlert> Resolutions(IEnumerable<ReceivedAlert> listed)
    {
        var snapshot = _store.Current;
        var changed = snapshot.ScalingGroups.Select(g => g.Tags.GetValueOrDefault(LedgerKeys.EvacuatedZone)).OfType<string>()
            .Concat(snapshot.Nodes.CordonedFor).ToHashSet(StringComparer.Ordinal);
        var alerted = listed.Where(a => Array.IndexOf(_zoneAlerts, a.Name) >= 0 && _playbooks.Route(a.Name, true, a.Labels, _clusterName).Actionable)
            .Select(a => a.Labels["az"]).ToHashSet(StringComparer.Ordinal);
        foreach (var zone in _missingSince.Keys.Where(z => !changed.Contains(z) || alerted.Contains(z)).ToList()) _missingSince.Remove(zone);
        var now = _time.GetUtcNow();
        List<ReceivedAlert> resolutions = [];
        foreach (var zone in changed.Where(z => !alerted.Contains(z)).Order(StringComparer.Ordinal))
        {
            var since = _missingSince.TryGetValue(zone, out var first) ? first : _missingSince[zone] = now;
            var labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = _zoneAlerts[0], ["az"] = zone };
            if (_clusterName.Length > 0) labels["cluster"] = _clusterName;
            var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"reconciled-restore|{zone}")).AsSpan(0, 8));
            resolutions.Add(new ReceivedAlert(_zoneAlerts[0], false, labels, since, now, fingerprint, null, GroupKey));
        }
        return resolutions;
    }

    /// <summary>The actionable alerts one peer lists, and whether each is suppressed (silenced or inhibited) there.</summary>
    private async Task<List<(ReceivedAlert Alert, bool Suppressed)>> ReadAsync(Uri baseUrl, CancellationToken stop)
    {
        var names = string.Join('|', _playbooks.AlertNames.Order(StringComparer.Ordinal));
        var url = new Uri(baseUrl, "api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true&filter="
            + Uri.EscapeDataString($"alertname=~\"{names}\""));
        using var document = await HttpJson.GetAsync(_http, url, _options.AlertmanagerTokenFile, stop).ConfigureAwait(false);
        if (document.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException($"{url} did not answer a JSON array of alerts");
        List<(ReceivedAlert, bool)> alerts = [];
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var label in item.GetProperty("labels").EnumerateObject()) labels[label.Name] = label.Value.GetString() ?? "";
            if (!labels.TryGetValue("alertname", out var name) || !_playbooks.Answers(name)) continue;
            var startsAt = DateTimeOffset.Parse(item.GetProperty("startsAt").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            var state = item.TryGetProperty("status", out var status) && status.TryGetProperty("state", out var s) ? s.GetString() : "active";
            var generator = item.TryGetProperty("generatorURL", out var g) ? g.GetString() : null;
            alerts.Add((new ReceivedAlert(name, true, labels, startsAt, null, item.GetProperty("fingerprint").GetString()!, generator, GroupKey), state == "suppressed"));
        }
        return alerts;
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = EventIds.ReconcileOff, Level = LogLevel.Warning,
        Message = "Receiver:AlertmanagerUrls is empty: the leader acts only on the webhooks it receives itself; an alert another replica accepted waits until that replica leads or Alertmanager repeats it. Set it to every Alertmanager peer")]
    private static partial void LogOff(ILogger logger);

    [LoggerMessage(EventId = EventIds.ReconcileFound, Level = LogLevel.Warning,
        Message = "Alertmanager lists {AlertName} firing for {Zone} (fingerprint {Fingerprint}), which no webhook brought here: acting on it")]
    private static partial void LogFound(ILogger logger, string alertName, string zone, string fingerprint);

    /// <summary>Not a resolution anyone sent: DrSentinel infers it from no peer listing the alert any more.</summary>
    [LoggerMessage(EventId = EventIds.ReconcileInferredResolved, Level = LogLevel.Warning,
        Message = "No Alertmanager peer lists {AlertName} for {Zone} (fingerprint {Fingerprint}) any more, and no webhook brought its resolution: taking it as resolved")]
    private static partial void LogInferredResolved(ILogger logger, string alertName, string zone, string fingerprint);

    [LoggerMessage(EventId = EventIds.ReconcileFailed, Level = LogLevel.Warning, Message = "Could not reconcile with Alertmanager {Url}: {Reason}")]
    private static partial void LogFailed(ILogger logger, Uri? url, string reason);

    [LoggerMessage(EventId = EventIds.ReconcileRequestFailed, Level = LogLevel.Information,
        Message = "Could not ask the leader to reconcile now (the Lease annotation); its periodic read finds the alert")]
    private static partial void LogRequestFailed(ILogger logger, Exception exception);
}
