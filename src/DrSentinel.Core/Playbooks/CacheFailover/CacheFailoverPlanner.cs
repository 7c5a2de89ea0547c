using DrSentinel.Inventory;
using DrSentinel.Planning;
using static DrSentinel.Planning.FailoverHolds;

namespace DrSentinel.Playbooks.CacheFailover;

/// <summary>The ElastiCache failover playbook's planner (the order of its decisions: <see cref="FailoverHolds"/>).</summary>
public static class CacheFailoverPlanner
{
    public static Plan PlanCacheFailover(PlanRequest request)
    {
        const string playbook = CacheFailoverPlaybook.PlaybookName;
        var (route, policy, snapshot) = (request.Route, request.Policy, request.Snapshot);
        var (id, zone, intent) = (route.Resource!, route.Zone!, route.Intent!.Value);
        Plan Refuse(string code, string reason) => Plan.Refuse(playbook, intent, zone, code, reason) with { Resource = id };
        Plan Nothing(string code, string reason) => Plan.Nothing(playbook, intent, zone, code, reason) with { Resource = id };

        var group = snapshot.ReplicationGroups.FirstOrDefault(g => g.Id == id);
        if (group is null) return Refuse(RefusalCodes.UnknownResource, $"replication group {id} is not in the inventory: nothing is targeted");
        if (!policy.AllowedDatabases.Contains(id))
            return Refuse(RefusalCodes.AllowList, $"{id} is not in Actions:AllowedDatabases: nothing is failed over");
        var primaries = group.Members.Where(m => m.Role == "primary").ToList();
        if (intent == PlanIntent.Restore)
            return Nothing(RefusalCodes.NoFailBack,
                $"the alert resolved; the primary of {id} stays in {string.Join(", ", primaries.Select(p => p.Zone))}: DrSentinel never fails back by itself, moving it again is a human's choice");
        // DrSentinel's own failover first, as for RDS: its ledger tag tells it from AWS's (or a human's) move.
        if (FailoverLedger.From(group.Tags) is { } mine && (mine.Episode == request.Episode || mine.FromZone == zone) && primaries.All(p => p.Zone != mine.FromZone))
            return Nothing(RefusalCodes.AlreadyFailedOver,
                $"DrSentinel failed {id} over out of {mine.FromZone} at {mine.At:HH:mm:ss}{(mine.Episode == request.Episode ? " for this incident" : "")}; its primary is in {string.Join(", ", primaries.Select(p => p.Zone))} now");
        // The node group whose primary sits in the zone (one for a cluster-mode-disabled group).
        var primary = primaries.FirstOrDefault(p => p.Zone == zone);
        if (primary is null)
            return Nothing(RefusalCodes.DoneByAws, $"no primary of {id} is in {zone} now ({string.Join(", ", primaries.Select(p => $"{p.CacheClusterId} in {p.Zone}"))}): AWS (or a human) moved it; DrSentinel does nothing");

        var impairment = ZoneImpairment.Assess(snapshot, zone);
        if (!impairment.HoldsAlert(FailedOverFrom(snapshot, zone)))
            return Refuse(RefusalCodes.ZoneHealthy, $"{zone} does not look impaired now ({impairment.Explanation}); nothing is failed over") with { WaitsForZone = true };
        var candidates = group.Members.Where(m => m.NodeGroupId == primary.NodeGroupId && m.Role != "primary" && m.Zone is not null && m.Zone != zone).ToList();
        var healthy = candidates.Where(m => !ZoneImpairment.Assess(snapshot, m.Zone!).Impaired && ReplicaAnswers(snapshot, id, m.CacheClusterId))
            .OrderBy(m => m.CacheClusterId, StringComparer.Ordinal).ToList();
        if (healthy.Count == 0)
            return Refuse(RefusalCodes.BothZonesImpaired, candidates.Count == 0
                ? $"node group {primary.NodeGroupId} of {id} has no replica outside {zone}: a human decides"
                : $"no replica of {id} outside {zone} is in a healthy zone and answers its probe: a human decides");
        if (AwsGrace(request) is { } remaining)
            return Refuse(RefusalCodes.GracePeriod,
                $"giving ElastiCache's automatic failover its chance on {id}: {AwsSees(request)}; {remaining.TotalSeconds:F0} s of the {policy.FailoverGrace.TotalSeconds:F0} s grace period left (Actions:FailoverGrace)")
                with { WaitsForZone = true, RecheckAfter = RecheckAfter(request, remaining) };
        if (group.Status != "available")
            return Refuse(RefusalCodes.ResourceBusy, $"{id} is {group.Status}, not available: it cannot fail over now (AWS may be failing it over itself)") with { WaitsForZone = true };
        if (group.Arn is null) return Refuse(RefusalCodes.UnknownResource, $"ElastiCache reported no ARN for {id}: its ledger tag cannot be written");

        var quotaSpent = request.TestFailoversLast24Hours >= policy.TestFailoverQuota;
        // ModifyReplicationGroup's PrimaryClusterId names the group's one primary: only a cluster-mode-disabled group has one.
        var fallback = group.ClusterEnabled ? null : healthy[0].CacheClusterId;
        if (quotaSpent && fallback is null)
            return Refuse(RefusalCodes.QuotaSpent,
                $"the TestFailover quota is spent ({request.TestFailoversLast24Hours} of {policy.TestFailoverQuota} in 24 h) and {id} is cluster-mode enabled (no PrimaryClusterId fallback): a human decides");
        var findings = quotaSpent ? [$"the TestFailover quota is spent ({request.TestFailoversLast24Hours} of {policy.TestFailoverQuota} in 24 h): promoting {fallback} instead"] : System.Collections.Immutable.ImmutableArray<string>.Empty;
        return new Plan(playbook, intent, zone, PlanVerdict.Act,
            $"{impairment.Explanation}; the primary {primary.CacheClusterId} of {id} is {WhyNow(request)}; {healthy[0].CacheClusterId} in {healthy[0].Zone} can take over",
            [new FailoverCacheGroup(id, group.Arn, primary.NodeGroupId, zone, fallback, quotaSpent, request.Episode)], findings, 0, 0) { Resource = id };
    }

    /// <summary>A replica answers where it is probed; one not probed at all is not held against it.</summary>
    private static bool ReplicaAnswers(InventorySnapshot snapshot, string group, string member) =>
        snapshot.RedisProbes.FirstOrDefault(p => p.ReplicationGroup == group && p.CacheClusterId == member) is not { Up: false };
}
