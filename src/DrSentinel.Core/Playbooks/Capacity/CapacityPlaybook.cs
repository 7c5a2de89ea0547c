using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Readiness;

namespace DrSentinel.Playbooks.Capacity;

/// <summary>
/// A zone's node capacity: evacuate a lost zone (node groups scaled up in the healthy zones, the zone cordoned, traffic
/// shifted away) and restore it once it is back.
/// </summary>
public sealed class CapacityPlaybook : IPlaybook
{
    public const string PlaybookName = "az-capacity";

    public string Name => PlaybookName;

    public const string HeadroomCheck = "node-group-headroom";
    public const string ZonalShiftCheck = "zonal-shift-resources";
    public const string AllowTagCheck = "node-group-allow-tag";

    public ImmutableDictionary<string, string?> Alerts { get; } =
        ImmutableDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("DrSentinelAzUnavailable", (string?)null), KeyValuePair.Create("DrSentinelAzUnreachable", (string?)null)]);

    // Its zonal shifts are its too: a restore planned from a refresh-old view would not see the shift it started.
    public ImmutableArray<string> Reads { get; } = ["aws_autoscaling", "aws_zonal_shift"];

    public Plan Plan(PlanRequest request) => request.Route.Intent == PlanIntent.Evacuate
        ? EvacuationPlanner.PlanEvacuation(request.Route.Zone!, request.Snapshot, request.Policy, request.AlertStartsAt)
        : EvacuationPlanner.PlanRestore(request.Route.Zone!, request.Snapshot, request.Policy);

    public IEnumerable<AlertRoute> RoutesIfLost(string zone, InventorySnapshot snapshot) => [new AlertRoute(PlanIntent.Evacuate, zone, Name, null)];

    /// <summary>
    /// The allowed node groups able to absorb the loss of any one zone within MaxSize; each zonal-shift resource
    /// registered with ARC, when traffic is shifted away.
    /// </summary>
    public IEnumerable<ReadinessCheck> Readiness(ReadinessRequest request)
    {
        var (snapshot, policy) = (request.Snapshot, request.Policy);
        if (!policy.AllowedNodeGroups.IsEmpty)
        {
            yield return ReadinessCheck.Unread(snapshot, "aws_autoscaling", HeadroomCheck) ?? Headroom(snapshot, policy);
            var allowed = snapshot.ScalingGroups.Where(g => policy.Allows(EvacuationPlanner.Ref(g))).ToList();
            yield return ReadinessCheck.Unread(snapshot, "aws_autoscaling", AllowTagCheck) ?? ReadinessCheck.AllowTag(AllowTagCheck, "Auto Scaling group(s)",
                [.. allowed.Select(g => g.Name)], [.. allowed.Where(g => !LedgerKeys.OptedIn(g.Tags)).Select(g => $"{g.Name} (node group {g.NodeGroup})")]);
        }
        if (policy.ShiftTrafficAway && request.ZonalShiftResources.Count > 0)
            yield return ReadinessCheck.Unread(snapshot, "aws_zonal_shift", ZonalShiftCheck) ?? Shifts(snapshot, request.ZonalShiftResources);
    }

    private static ReadinessCheck Headroom(InventorySnapshot snapshot, ActionPolicy policy)
    {
        var allowed = snapshot.ScalingGroups.Where(g => policy.Allows(EvacuationPlanner.Ref(g))).ToImmutableArray();
        var problems = new List<string>();
        var missing = policy.AllowedNodeGroups.Where(n => allowed.All(g => g.Name != n && g.NodeGroup != n)).Order(StringComparer.Ordinal).ToList();
        problems.AddRange(missing.Select(n => $"{n} (Actions:AllowedNodeGroups) matches no Auto Scaling group"));
        var headroom = ZoneLossHeadroom.Assess(snapshot with { ScalingGroups = allowed });
        problems.AddRange(headroom.Where(h => h.Shortfall > 0).Select(h => $"losing {h.Zone} would leave {h.Shortfall} of {h.Lost} instance(s) without room under MaxSize"));
        return ReadinessCheck.From(HeadroomCheck, problems, [.. headroom.Select(h => $"{h.Zone}: {h.Lost} instance(s) to make up, room for {h.Absorbable}")],
            "the allowed node groups can absorb the loss of any one zone within MaxSize", "raise MaxSize of the allowed groups in the other zones, or allow more groups");
    }

    private static ReadinessCheck Shifts(InventorySnapshot snapshot, IReadOnlyCollection<string> configured)
    {
        var seen = snapshot.ZonalShiftResources.Where(r => !r.AppliedWeights.IsEmpty).Select(r => r.Arn).ToHashSet(StringComparer.Ordinal);
        var problems = configured.Where(arn => !seen.Contains(arn)).Select(arn => $"{arn} is not registered with ARC zonal shift (no weights)").ToList();
        return ReadinessCheck.From(ZonalShiftCheck, problems, [.. snapshot.ZonalShiftResources.Select(r => $"{r.Name}: {string.Join(", ", r.AppliedWeights.Keys)}")],
            "every resource in Inventory:ZonalShiftResources is registered with ARC zonal shift", "check the ARN, and that the resource is enabled for zonal shift (EKS: aws eks update-cluster-config --zonal-shift-config enabled=true)");
    }
}
