using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;

namespace DrSentinel.Playbooks.Capacity;

/// <summary>
/// How DrSentinel uses ARC zonal shift: what it writes on a shift (its mark and the incident), how long a shift lasts,
/// and which of its own shifts are due to be extended because their zone is still impaired.
/// </summary>
public static class ZonalShifts
{
    /// <summary>ARC's expiresIn: whole minutes up to 1440, else whole hours up to 72, rounded up so a shift never ends early.</summary>
    public static string ExpiresIn(TimeSpan lasts)
    {
        var minutes = (int)Math.Ceiling(lasts.TotalMinutes);
        return minutes <= 1440 ? $"{Math.Max(1, minutes)}m" : $"{Math.Min(72, (int)Math.Ceiling(lasts.TotalHours))}h";
    }

    /// <summary>The comment on DrSentinel's shift: its mark first (how it knows the shift is its own), then the incident.</summary>
    public static string Comment(string zone, DateTimeOffset? incidentStart) => incidentStart is { } start
        ? $"{ActiveZonalShift.Mark} incident {Incidents.Incident.NewId(zone, start)}: {zone} impaired"
        : $"{ActiveZonalShift.Mark}: {zone} impaired";

    /// <summary>
    /// DrSentinel's applied shifts whose zone still looks impaired (or has a failing probe) and that would end within half
    /// of <see cref="ActionPolicy.ZonalShiftLasts"/>: each is extended by another full term, keeping its comment.
    /// </summary>
    public static ImmutableArray<ExtendZonalShift> DueForExtension(InventorySnapshot snapshot, ActionPolicy policy, DateTimeOffset now) =>
    [
        .. from resource in snapshot.ZonalShiftResources
           from shift in resource.Shifts
           where shift is { Ours: true, Applied: true } && shift.ExpiryTime - now < policy.ZonalShiftLasts / 2
           let impairment = ZoneImpairment.Assess(snapshot, shift.AwayFrom)
           where impairment.Impaired || impairment.FailingProbes > 0
           orderby resource.Name
           select new ExtendZonalShift(resource.Name, resource.Arn, shift.Id, shift.AwayFrom, ExpiresIn(policy.ZonalShiftLasts), shift.Comment),
    ];
}
