using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DrSentinel.Alerting;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;

namespace DrSentinel.Incidents;

/// <summary>
/// The incident record: every zone incident's timeline, kept in incidents.jsonl beside the action history (one JSON line
/// per entry, appended as it happens, so a restart keeps it) and bounded to the last <see cref="MaxIncidents"/> incidents
/// of at most <see cref="MaxEntries"/> entries each. The engine writes the alerts, decisions and actions; the
/// <see cref="IncidentWatcher"/> writes what the inventory shows: the first signal, primaries writable again, the zone
/// recovered. An incident opens with the first actionable firing alert of a zone and closes once every alert of it is
/// resolved and handled.
/// </summary>
public sealed partial class IncidentLog
{
    public const int MaxIncidents = 50;
    public const int MaxEntries = 400;
    public const string FileName = "incidents.jsonl";

    private readonly Lock _gate = new();
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly ILogger<IncidentLog> _logger;
    private readonly List<TimelineEntry> _entries;
    private readonly Dictionary<string, string> _openByZone = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset At, string Text)> _impaired = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _awaitingPrimary = new(StringComparer.Ordinal); // by incident
    private readonly Dictionary<string, HashSet<string>> _handled = new(StringComparer.Ordinal); // resolutions done with, by incident
    private readonly Dictionary<string, DateTimeOffset> _closing = new(StringComparer.Ordinal); // every alert done, a moved primary not yet seen writable

    /// <summary>How long a closing incident waits for a primary it moved to be seen writable before it closes without.</summary>
    private readonly PlaybookTable _playbooks;

    public static readonly TimeSpan WritableWait = TimeSpan.FromMinutes(2);

    public IncidentLog(IOptions<ReceiverOptions> receiver, PlaybookTable playbooks, TimeProvider time, ILogger<IncidentLog> logger)
    {
        _playbooks = playbooks;
        _time = time;
        _logger = logger;
        _path = Path.Combine(receiver.Value.StateDirectory, FileName);
        var (entries, unreadable) = Read(_path);
        _entries = entries;
        if (unreadable > 0) LogUnreadable(logger, unreadable, _path);
        foreach (var incident in Incident.Fold(_entries).Where(i => i.Open)) _openByZone[incident.Zone] = incident.Id;
    }

    /// <summary>The entries of a state directory's record, and how many lines could not be read.</summary>
    public static (List<TimelineEntry> Entries, int Unreadable) Read(string path)
    {
        if (!File.Exists(path)) return ([], 0);
        var entries = new List<TimelineEntry>();
        var unreadable = 0;
        foreach (var line in File.ReadLines(path).Where(l => l.Length > 0))
        {
            try
            {
                if (JsonSerializer.Deserialize(line, IncidentJsonContext.Default.TimelineEntry) is { } entry) entries.Add(entry);
                else unreadable++;
            }
            catch (JsonException)
            {
                unreadable++; // a line torn by a crash mid-write; the rest stands
            }
        }
        return (entries, unreadable);
    }

    [LoggerMessage(EventId = EventIds.IncidentsUnreadable, Level = LogLevel.Warning, Message = "{Count} line(s) of {Path} cannot be read and are left out of the incident record")]
    private static partial void LogUnreadable(ILogger logger, int count, string path);

    /// <summary>Every incident kept, newest first.</summary>
    public IReadOnlyList<Incident> All()
    {
        lock (_gate) return [.. Incident.Fold(_entries).Reverse()];
    }

    public Incident? Find(string id)
    {
        lock (_gate)
        {
            var entries = _entries.Where(e => e.Incident == id).ToList();
            return entries.Count == 0 ? null : Incident.Fold(entries)[0];
        }
    }

    /// <summary>An alert taken by the engine: a firing one opens the zone's incident if none is open.</summary>
    public void AlertTaken(InboxEntry taken, AlertRoute route)
    {
        var alert = taken.Alert;
        if (!route.Actionable || route.Zone is not { } zone) return;
        lock (_gate)
        {
            var id = _openByZone.GetValueOrDefault(zone);
            if (id is null)
            {
                if (!alert.Firing) return; // a resolution with nothing open: the incident it closes is already closed
                id = Open(zone, alert.StartsAt);
            }
            var subject = route.Resource is null ? alert.Name : $"{alert.Name} ({route.Resource})";
            if (alert.Firing)
            {
                Add(new TimelineEntry(id, zone, alert.StartsAt, TimelineKind.AlertFired, $"{subject} fired (startsAt)") { Subject = alert.Name, Key = alert.Episode });
                Add(new TimelineEntry(id, zone, taken.ReceivedAt, TimelineKind.AlertReceived, $"{subject} received ({Via(alert)})") { Subject = alert.Name, Key = alert.Episode });
            }
            else
            {
                var standIn = alert.GroupKey == AlertmanagerReconciler.GroupKey;
                Add(new TimelineEntry(id, zone, taken.ReceivedAt, TimelineKind.AlertResolved,
                    standIn ? $"{subject}: no Alertmanager peer lists it any more" : $"{subject} resolved")
                    { Subject = alert.Name, Key = alert.Episode, Outcome = standIn ? "reconciled" : null });
            }
        }
    }

    private static string Via(ReceivedAlert alert) => alert.GroupKey == AlertmanagerReconciler.GroupKey ? "from Alertmanager's API" : "webhook";

    /// <summary>A plan made for the zone's incident: its verdict and why.</summary>
    public void Decided(Plan plan, string subject)
    {
        var verdict = plan.Verdict.ToString().ToLowerInvariant();
        var steps = plan.Steps.Length == 0 ? "" : $" ({plan.Steps.Length} step(s))";
        AddToOpen(plan.Zone, TimelineKind.Decision, $"plan to {plan.Intent.Verb()} {subject}: {plan.Reason}{steps}", plan.Resource, verdict);
    }

    /// <summary>A step's outcome, with what it did or why not.</summary>
    public void Acted(Plan plan, PlanStep step, string outcome, string detail) =>
        AddToOpen(plan.Zone, TimelineKind.Action, detail.Length == 0 ? step.Describe() : $"{step.Describe()} ({detail})", step.Resource, outcome);

    /// <summary>Capacity the zone's evacuation asked for did not arrive (<paramref name="group"/>), with AWS's reason.</summary>
    public void CapacityShort(string zone, string group, string text) => AddToOpen(zone, TimelineKind.CapacityShort, text, group, null);

    /// <summary>The zone's restore plan ran through, or found nothing left to put back.</summary>
    public void Restored(string zone, string text) => AddToOpen(zone, TimelineKind.Restored, text, null, null);

    /// <summary>
    /// An alert is done with: once every alert that fired in the incident has been resolved (or, for the zone alerts,
    /// stood in for by a resolution the leader made up because no Alertmanager peer lists them), the incident closes.
    /// </summary>
    public void Handled(ReceivedAlert alert, AlertRoute route)
    {
        if (alert.Firing || route.Zone is not { } zone) return;
        lock (_gate)
        {
            if (_openByZone.GetValueOrDefault(zone) is not { } id) return;
            // Done with, not only received: another lane may still be carrying out the zone's restore.
            if (!_handled.TryGetValue(id, out var handled)) _handled[id] = handled = new HashSet<string>(StringComparer.Ordinal);
            handled.Add(alert.GroupKey == AlertmanagerReconciler.GroupKey ? $"reconciled:{PlaybookOf(alert.Name)}" : alert.Episode);
            if (!AllAlertsDone(id)) return;
            // The record ends with the recovery: a primary DrSentinel failed over is awaited until it is seen writable.
            if (MovedAndAwaited(id).Count > 0)
            {
                _closing.TryAdd(id, _time.GetUtcNow());
                return;
            }
            Close(id, zone, "every alert of the incident resolved and handled");
        }
    }

    /// <summary>Under the gate: every alert that fired in the incident resolved and handled.</summary>
    private bool AllAlertsDone(string id)
    {
        var handled = _handled.GetValueOrDefault(id) ?? [];
        bool Done(TimelineEntry fired) => handled.Contains(fired.Key!) || handled.Contains($"reconciled:{PlaybookOf(fired.Subject)}");
        return _entries.Where(e => e.Incident == id && e.Kind == TimelineKind.AlertFired).All(Done);
    }

    /// <summary>Under the gate: databases DrSentinel failed over in the incident that are not yet seen writable.</summary>
    private List<string> MovedAndAwaited(string id) =>
        _awaitingPrimary.TryGetValue(id, out var awaiting)
            ? [.. _entries.Where(e => e.Incident == id && e is { Kind: TimelineKind.Action, Outcome: "success", Subject: { } db } && awaiting.Contains(db)).Select(e => e.Subject!).Distinct()]
            : [];

    private void Close(string id, string zone, string text)
    {
        Add(new TimelineEntry(id, zone, _time.GetUtcNow(), TimelineKind.Closed, text));
        _openByZone.Remove(zone);
        _awaitingPrimary.Remove(id);
        _handled.Remove(id);
        _closing.Remove(id);
    }

    private string? PlaybookOf(string? alertName) => _playbooks.PlaybookOf(alertName);

    /// <summary>
    /// What the inventory shows now, compared with what it showed before: a zone's signal turning (its node verdict, or
    /// every probe into it failing while others answer), turning back, and primaries that were in an incident's zone
    /// answering as writable primaries elsewhere.
    /// </summary>
    public void Observe(InventorySnapshot snapshot)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            foreach (var zone in snapshot.Zones.Select(z => z.Zone))
            {
                var signal = ZoneSignal(snapshot, zone);
                var open = _openByZone.GetValueOrDefault(zone);
                if (signal is not null && !_impaired.ContainsKey(zone))
                {
                    _impaired[zone] = (now, signal);
                    if (open is not null) Add(new TimelineEntry(open, zone, now, TimelineKind.Signal, signal));
                }
                // Recovered only when nothing into the zone fails any more: after a failover out of it, fewer members are
                // probed there, and "not every probe fails" is not yet a recovery.
                else if (signal is null && ZoneImpairment.Assess(snapshot, zone).FailingProbes == 0 && _impaired.Remove(zone) && open is not null)
                {
                    Add(new TimelineEntry(open, zone, now, TimelineKind.ZoneRecovered, $"{zone} looks healthy again: its nodes Ready, its probes answering"));
                }
            }
            foreach (var (zone, id) in _openByZone)
            {
                if (!_awaitingPrimary.TryGetValue(id, out var awaiting)) _awaitingPrimary[id] = awaiting = PrimariesIn(snapshot, zone);
                // A database DrSentinel failed over in the incident is awaited even if the first look came after it moved
                // (the watcher's tick late under load, the failover quicker than a second).
                awaiting.UnionWith(FailedOverNotYetWritable(id, snapshot));
                foreach (var (database, where) in WritablePrimaries(snapshot).Where(p => awaiting.Contains(p.Database) && p.Zone != zone).ToList())
                {
                    awaiting.Remove(database);
                    Add(new TimelineEntry(id, zone, now, TimelineKind.PrimaryWritable, $"{database} answers as a writable primary in {where}") { Subject = database });
                }
            }
            foreach (var (id, since) in _closing.ToList())
            {
                var zone = _entries.First(e => e.Incident == id).Zone;
                if (!AllAlertsDone(id))
                {
                    _closing.Remove(id); // fired again meanwhile
                    continue;
                }
                var waiting = MovedAndAwaited(id);
                if (waiting.Count == 0) Close(id, zone, "every alert of the incident resolved and handled, and the primaries it moved take writes");
                else if (now - since >= WritableWait)
                    Close(id, zone, $"every alert of the incident resolved and handled; {string.Join(", ", waiting)} not seen writable within {WritableWait.TotalMinutes:F0} min");
            }
        }
    }

    /// <summary>
    /// Why the zone looks impaired, naming the series that turned; null when it does not. The zone's node verdict counts
    /// from degraded on (the first series to turn, before the rules' unavailable); the probes by the rules' own
    /// definition of unreachable (<see cref="ZoneImpairment"/>).
    /// </summary>
    public static string? ZoneSignal(InventorySnapshot snapshot, string zone)
    {
        if (snapshot.Zones.FirstOrDefault(z => z.Zone == zone) is { Status: not ZoneStatus.Healthy } health)
            return $"drsentinel_az_status{{az=\"{zone}\"}} turned {health.Status.ToString().ToLowerInvariant()}: {health.ReadyNodes} of {health.Nodes} nodes Ready";
        var impairment = ZoneImpairment.Assess(snapshot, zone);
        return impairment.Unreachable
            ? $"every probe into {zone} fails while the other zones answer (drsentinel_postgres_probe_up, drsentinel_redis_probe_up 0 for {string.Join(", ", impairment.FailingMembers)})"
            : null;
    }

    /// <summary>Under the gate: databases with a successful action in the incident and no writable primary recorded yet.</summary>
    private IEnumerable<string> FailedOverNotYetWritable(string id, InventorySnapshot snapshot)
    {
        var databases = snapshot.DbInstances.Select(d => d.Id).Concat(snapshot.ReplicationGroups.Select(g => g.Id)).ToHashSet(StringComparer.Ordinal);
        var entries = _entries.Where(e => e.Incident == id).ToList();
        return entries.Where(e => e is { Kind: TimelineKind.Action, Outcome: "success", Subject: { } db } && databases.Contains(db)).Select(e => e.Subject!)
            .Except(entries.Where(e => e.Kind == TimelineKind.PrimaryWritable).Select(e => e.Subject!), StringComparer.Ordinal);
    }

    private static HashSet<string> PrimariesIn(InventorySnapshot snapshot, string zone) =>
    [
        .. snapshot.DbInstances.Where(d => d.Role == DbRole.Primary && d.Zone == zone).Select(d => d.Id),
        .. snapshot.ReplicationGroups.Where(g => g.Members.Any(m => m.Role == "primary" && m.Zone == zone)).Select(g => g.Id),
    ];

    /// <summary>Every database whose probe finds a primary taking writes now, and that primary's zone.</summary>
    private static IEnumerable<(string Database, string? Zone)> WritablePrimaries(InventorySnapshot snapshot) =>
        snapshot.PostgresProbes.Where(p => p.Up && p.InRecovery == false).Select(p => (p.DbInstance, p.Zone))
            .Concat(snapshot.RedisProbes.Where(p => p.Up && p.Role == "primary").Select(p => (p.ReplicationGroup, p.Zone)));

    /// <summary>Under the gate. The first signal, when the watcher saw the zone turn before the alert came.</summary>
    private string Open(string zone, DateTimeOffset startsAt)
    {
        var id = Incident.NewId(zone, startsAt);
        // The same zone and start again (a resolution lost, the alert firing again at once) continues that record.
        _openByZone[zone] = id;
        Compact();
        if (_impaired.TryGetValue(zone, out var signal) && !_entries.Any(e => e.Incident == id && e.Kind == TimelineKind.Signal))
            Add(new TimelineEntry(id, zone, signal.At, TimelineKind.Signal, signal.Text));
        LogOpened(_logger, id, zone);
        return id;
    }

    [LoggerMessage(EventId = EventIds.IncidentOpened, Level = LogLevel.Warning, Message = "Incident {Incident} opened for {Zone}: GET /incidents/{Incident}, or `DrSentinel incidents show {Incident}`")]
    private static partial void LogOpened(ILogger logger, string incident, string zone);

    private void AddToOpen(string zone, TimelineKind kind, string text, string? subject, string? outcome)
    {
        lock (_gate)
        {
            if (_openByZone.GetValueOrDefault(zone) is { } id)
                Add(new TimelineEntry(id, zone, _time.GetUtcNow(), kind, text) { Subject = subject, Outcome = outcome });
        }
    }

    /// <summary>Under the gate: appended to the file at once; an alert delivered again is not written twice.</summary>
    private void Add(TimelineEntry entry)
    {
        if (entry.Key is not null && _entries.Any(e => e.Incident == entry.Incident && e.Kind == entry.Kind && e.Key == entry.Key)) return;
        if (_entries.Count(e => e.Incident == entry.Incident) >= MaxEntries && entry.Kind is not TimelineKind.Closed) return;
        _entries.Add(entry);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            File.AppendAllText(_path, Line(entry), Encoding.UTF8);
        }
        catch (IOException e)
        {
            LogNotWritten(_logger, e, entry.Incident); // kept in memory; the next compaction writes it
        }
    }

    [LoggerMessage(EventId = EventIds.IncidentNotWritten, Level = LogLevel.Error, Message = "An entry of incident {Incident} could not be written to the state directory; it is kept in memory")]
    private static partial void LogNotWritten(ILogger logger, Exception exception, string incident);

    /// <summary>Under the gate: only the newest incidents are kept; the file is rewritten whole when some are dropped.</summary>
    private void Compact()
    {
        var ids = _entries.Select(e => e.Incident).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count < MaxIncidents) return;
        var dropped = ids.Take(ids.Count - MaxIncidents + 1).Where(id => !_openByZone.ContainsValue(id)).ToHashSet(StringComparer.Ordinal);
        _entries.RemoveAll(e => dropped.Contains(e.Incident));
        var temporary = _path + ".tmp";
        File.WriteAllText(temporary, string.Concat(_entries.Select(Line)), Encoding.UTF8);
        File.Move(temporary, _path, overwrite: true);
    }

    private static string Line(TimelineEntry entry) => JsonSerializer.Serialize(entry, IncidentJsonContext.Default.TimelineEntry) + "\n";

}

[JsonSerializable(typeof(TimelineEntry))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class IncidentJsonContext : JsonSerializerContext;
