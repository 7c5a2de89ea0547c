using System.Collections.Immutable;
using System.Globalization;

namespace DrSentinel.Incidents;

/// <summary>What a timeline entry records.</summary>
public enum TimelineKind
{
    /// <summary>The zone's own series turned: its node verdict, or every probe into it failing.</summary>
    Signal,
    /// <summary>An alert's startsAt: when Prometheus says it began.</summary>
    AlertFired,
    /// <summary>A firing alert reached DrSentinel (webhook, or Alertmanager's API on a new leader).</summary>
    AlertReceived,
    AlertResolved,
    /// <summary>A plan: its verdict and reason.</summary>
    Decision,
    /// <summary>A step carried out (or not): its outcome.</summary>
    Action,
    /// <summary>A database whose primary was in the zone answers as a writable primary elsewhere (from the probes).</summary>
    PrimaryWritable,
    /// <summary>Capacity an evacuation asked for did not arrive in time: how much, where, and AWS's own reason.</summary>
    CapacityShort,
    /// <summary>The zone's series look healthy again.</summary>
    ZoneRecovered,
    /// <summary>What DrSentinel changed for the zone is put back.</summary>
    Restored,
    /// <summary>Every alert of the zone resolved and handled.</summary>
    Closed,
}

/// <summary>One line of an incident's timeline, as kept on disk (one JSON line each, in the order they happened here).</summary>
public sealed record TimelineEntry(string Incident, string Zone, DateTimeOffset At, TimelineKind Kind, string Text)
{
    /// <summary>The alert, resource or database the entry is about.</summary>
    public string? Subject { get; init; }

    /// <summary>A decision's verdict (act, noop, refused) or an action's outcome (success, failed, dry-run, ...).</summary>
    public string? Outcome { get; init; }

    /// <summary>For alerts: the delivery (fingerprint, start, status), so one delivered again is not written twice.</summary>
    public string? Key { get; init; }
}

/// <summary>
/// One zone's incident: opened by the first actionable alert for the zone, closed once every alert of it is resolved and
/// handled. Its timeline is the record a postmortem starts from; the milestones are read from it.
/// </summary>
public sealed record Incident(string Id, string Zone, ImmutableArray<TimelineEntry> Timeline)
{
    /// <summary>Readable and sortable: the zone and the first alert's start, e.g. eu-central-1a-20261203T101500Z.</summary>
    public static string NewId(string zone, DateTimeOffset startsAt) =>
        string.Create(CultureInfo.InvariantCulture, $"{zone}-{startsAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}");

    /// <summary>The incidents the entries make up, in the order they opened.</summary>
    public static ImmutableArray<Incident> Fold(IEnumerable<TimelineEntry> entries) =>
    [
        .. entries.GroupBy(e => e.Incident, StringComparer.Ordinal)
            .Select(g => new Incident(g.Key, g.First().Zone, [.. g.OrderBy(e => e.At)])),
    ];

    /// <summary>The earliest thing known: the first signal, else the alert's start.</summary>
    public DateTimeOffset Began => Timeline.Length == 0 ? default : Timeline[0].At;

    /// <summary>When it closed; an incident that fired again after closing (same zone and start) is open again.</summary>
    public DateTimeOffset? Closed => Timeline.Length > 0 && Timeline[^1].Kind == TimelineKind.Closed ? Timeline[^1].At : null;

    public bool Open => Closed is null;

    public DateTimeOffset? FirstSignal => First(TimelineKind.Signal);

    public DateTimeOffset? AlertFired => First(TimelineKind.AlertFired);

    public DateTimeOffset? AlertReceived => First(TimelineKind.AlertReceived);

    /// <summary>The first step that changed something.</summary>
    public DateTimeOffset? FirstAction => Timeline.FirstOrDefault(e => e.Kind == TimelineKind.Action && e.Outcome == "success")?.At;

    public DateTimeOffset? ZoneRecovered => Timeline.LastOrDefault(e => e.Kind == TimelineKind.ZoneRecovered)?.At;

    public DateTimeOffset? Restored => Timeline.LastOrDefault(e => e.Kind == TimelineKind.Restored)?.At;

    /// <summary>When each database whose primary was in the zone was writable again, by name.</summary>
    public ImmutableSortedDictionary<string, DateTimeOffset> PrimaryWritable => Timeline
        .Where(e => e.Kind == TimelineKind.PrimaryWritable && e.Subject is not null)
        .GroupBy(e => e.Subject!, StringComparer.Ordinal)
        .ToImmutableSortedDictionary(g => g.Key, g => g.Min(e => e.At), StringComparer.Ordinal);

    /// <summary>Steps that failed or were left undone: what a human has to look at.</summary>
    public IEnumerable<TimelineEntry> Failures => Timeline.Where(e => e.Kind == TimelineKind.Action && e.Outcome is "failed" or "killed");

    private DateTimeOffset? First(TimelineKind kind) => Timeline.FirstOrDefault(e => e.Kind == kind)?.At;
}
