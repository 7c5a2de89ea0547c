using System.Globalization;
using System.Text;

namespace DrSentinel.Incidents;

/// <summary>An incident as Markdown: the milestones, the timeline and what is left for a human; a postmortem's first draft.</summary>
public static class IncidentReport
{
    public static string Markdown(Incident incident)
    {
        var text = new StringBuilder();
        var began = incident.Began;
        text.Append(Inv($"# Incident {incident.Id}\n\n"));
        text.Append(Inv($"Zone **{incident.Zone}**; began {Stamp(began)}; "));
        text.Append(incident.Closed is { } closed ? Inv($"closed {Stamp(closed)} ({Duration(closed - began)[1..]}).\n\n") : "still open.\n\n");

        text.Append("## Milestones\n\n| milestone | at (UTC) | after the first signal |\n|---|---|---|\n");
        Milestone(text, "first signal", incident.FirstSignal, began);
        Milestone(text, "alert fired", incident.AlertFired, began);
        Milestone(text, "alert received by DrSentinel", incident.AlertReceived, began);
        Milestone(text, "first action", incident.FirstAction, began);
        foreach (var (database, at) in incident.PrimaryWritable) Milestone(text, $"{database} writable again", at, began);
        Milestone(text, "zone recovered", incident.ZoneRecovered, began);
        Milestone(text, "restored", incident.Restored, began);
        Milestone(text, "closed", incident.Closed, began);

        text.Append("\n## Timeline\n\n| at (UTC) | after | what | |\n|---|---|---|---|\n");
        foreach (var entry in incident.Timeline)
            text.Append(Inv($"| {entry.At.UtcDateTime:HH:mm:ss} | {Duration(entry.At - began)} | {Label(entry)} | {Cell(entry.Text)} |\n"));

        text.Append("\n## Left for a human\n\n");
        var failures = incident.Failures.ToList();
        if (failures.Count == 0) text.Append(incident.Open ? "Nothing failed so far; the incident is still open.\n" : "Nothing: every step DrSentinel took succeeded.\n");
        foreach (var failure in failures) text.Append(Inv($"- {failure.Outcome} at {failure.At.UtcDateTime:HH:mm:ss}: {failure.Text}\n"));
        return text.ToString();
    }

    private static void Milestone(StringBuilder text, string name, DateTimeOffset? at, DateTimeOffset began) =>
        text.Append(at is { } value ? Inv($"| {name} | {value.UtcDateTime:HH:mm:ss} | {Duration(value - began)} |\n") : Inv($"| {name} | — | |\n"));

    private static string Label(TimelineEntry entry) => entry.Kind switch
    {
        TimelineKind.Signal => "signal",
        TimelineKind.AlertFired => "alert fired",
        TimelineKind.AlertReceived => "alert received",
        TimelineKind.AlertResolved => "alert resolved",
        TimelineKind.Decision => $"decision: {entry.Outcome}",
        TimelineKind.Action => $"action: {entry.Outcome}",
        TimelineKind.PrimaryWritable => "primary writable",
        TimelineKind.ZoneRecovered => "zone recovered",
        TimelineKind.Restored => "restored",
        TimelineKind.CapacityShort => "capacity short",
        _ => "closed",
    };

    /// <summary>A table cell: no line break or pipe may end it early.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');

    private static string Stamp(DateTimeOffset at) => Inv($"{at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC");

    /// <summary>"+0 s", "+1 min 05 s", "+1 h 02 min".</summary>
    public static string Duration(TimeSpan span)
    {
        var sign = span < TimeSpan.Zero ? "-" : "+";
        var s = span.Duration();
        return s.TotalHours >= 1 ? Inv($"{sign}{(int)s.TotalHours} h {s.Minutes:00} min")
            : s.TotalMinutes >= 1 ? Inv($"{sign}{(int)s.TotalMinutes} min {s.Seconds:00} s")
            : Inv($"{sign}{s.TotalSeconds:0.#} s");
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
