using DrSentinel.Inventory;

namespace DrSentinel.Planning;

/// <summary>
/// The database playbooks as pure functions: move a primary out of an impaired zone, after AWS had its chance, never
/// back into it, never twice. The decision, in order: the resource is known and allowed; a resolved alert never fails
/// back; a failover DrSentinel started for this incident is not repeated; a primary already out of the zone is AWS's
/// doing; the zone must look impaired now (else the plan waits: the alert may be stale); the candidate zone must not be
/// impaired too (ambiguous: a human decides); AWS gets its grace period; the resource must be able to fail over now.
/// </summary>
public static class FailoverPlanner
{
    public static Plan PlanRdsFailover(PlanRequest request)
    {
        const string playbook = Plan.RdsFailoverPlaybook;
        var (route, policy, snapshot) = (request.Route, request.Policy, request.Snapshot);
        var (id, zone, intent) = (route.Resource!, route.Zone!, route.Intent!.Value);
        Plan Refuse(string code, string reason) => Plan.Refuse(playbook, intent, zone, code, reason) with { Resource = id };
        Plan Nothing(string code, string reason) => Plan.Nothing(playbook, intent, zone, code, reason) with { Resource = id };

        var db = snapshot.DbInstances.FirstOrDefault(d => d.Id == id);
        if (db?.ClusterId is { } cluster) return PlanClusterFailover(request, db, cluster);
        if (db is null || db.Role != DbRole.Primary)
            return Refuse(RefusalCodes.UnknownResource, db is null
                ? $"DB instance {id} is not in the inventory: nothing is targeted"
                : $"{id} is a read replica, not a primary: this playbook does not act on it");
        if (!policy.AllowedDatabases.Contains(id))
            return Refuse(RefusalCodes.AllowList, $"{id} is not in Actions:AllowedDatabases: nothing is failed over");
        if (intent == PlanIntent.Restore)
            return Nothing(RefusalCodes.NoFailBack,
                $"the alert resolved; the primary of {id} stays in {db.Zone} with its standby in {db.SecondaryZone ?? "no zone"}: DrSentinel never fails back by itself, moving it again is a human's choice");

        var ledger = FailoverLedger.From(db.Tags);
        if (ledger is { } mine && db.Zone != mine.FromZone && (mine.Episode == request.Episode || mine.FromZone == zone))
            return Nothing(RefusalCodes.AlreadyFailedOver,
                $"DrSentinel failed {id} over out of {mine.FromZone} at {mine.At:HH:mm:ss}{(mine.Episode == request.Episode ? " for this incident" : "")}; its primary is in {db.Zone} now");
        if (ReplicaPromotionPlanner.AlreadyPromoted(request, id, zone) is { } promoted) return promoted;
        if (db.Zone != zone && ledger?.Episode != request.Episode)
            return Nothing(RefusalCodes.DoneByAws, $"the primary of {id} is already in {db.Zone ?? "no zone"}, out of {zone}: AWS (or a human) moved it; DrSentinel does nothing");

        var impairment = ZoneImpairment.Assess(snapshot, zone);
        if (!impairment.Impaired)
            return Refuse(RefusalCodes.ZoneHealthy, $"{zone} does not look impaired now ({impairment.Explanation}); nothing is failed over") with { WaitsForZone = true };
        // No partner to fail over to: the replica promotion playbook takes over where a replica is enabled for it.
        if (!db.MultiAz || db.SecondaryZone is not { } standby)
            return ReplicaPromotionPlanner.PlanPromotion(request, db,
                Refuse(RefusalCodes.NotMultiAz, $"{id} has no Multi-AZ standby to fail over to: a human decides"));
        if (standby == zone || ZoneImpairment.Assess(snapshot, standby) is { Impaired: true })
            return ReplicaPromotionPlanner.PlanPromotion(request, db,
                Refuse(RefusalCodes.BothZonesImpaired, $"the standby of {id} is in {standby}, which is impaired too ({ZoneImpairment.Assess(snapshot, standby).Explanation}): a human decides"));
        // Busy first: a failover under way (AWS's, or DrSentinel's for another alert) is waited out, then judged by where it left the primary.
        if (!db.Available)
            return Refuse(RefusalCodes.ResourceBusy, $"{id} is {db.Status}, not available: it cannot fail over now (AWS may be failing it over itself)") with { WaitsForZone = true };
        if (CooldownOrGrace(request, ledger, id, Refuse) is { } heldBack) return heldBack;
        if (db.Arn is null) return Refuse(RefusalCodes.UnknownResource, $"RDS reported no ARN for {id}: its ledger tag cannot be written");

        return new Plan(playbook, intent, zone, PlanVerdict.Act,
            $"{impairment.Explanation}; the primary of {id} is still there after the grace period, its standby's zone {standby} is healthy",
            [new FailoverDbInstance(id, db.Arn, zone, standby, request.Episode)], [], 0, 0) { Resource = id };
    }

    /// <summary>
    /// A Multi-AZ DB cluster: the writer named by the alert moves to a reader in a healthy zone (FailoverDBCluster with a
    /// TargetDBInstanceIdentifier), by the same decision as an instance. The ledger tag goes on the writer instance.
    /// </summary>
    private static Plan PlanClusterFailover(PlanRequest request, DbInstanceState db, string cluster)
    {
        const string playbook = Plan.RdsFailoverPlaybook;
        var (route, policy, snapshot) = (request.Route, request.Policy, request.Snapshot);
        var (id, zone, intent) = (route.Resource!, route.Zone!, route.Intent!.Value);
        Plan Refuse(string code, string reason) => Plan.Refuse(playbook, intent, zone, code, reason) with { Resource = id };
        Plan Nothing(string code, string reason) => Plan.Nothing(playbook, intent, zone, code, reason) with { Resource = id };

        if (!policy.AllowedDatabases.Contains(cluster) && !policy.AllowedDatabases.Contains(id))
            return Refuse(RefusalCodes.AllowList, $"neither DB cluster {cluster} nor {id} is in Actions:AllowedDatabases: nothing is failed over");
        var members = snapshot.DbInstances.Where(d => d.ClusterId == cluster).OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
        var writer = members.FirstOrDefault(d => d.IsClusterWriter is true);
        if (intent == PlanIntent.Restore)
            return Nothing(RefusalCodes.NoFailBack,
                $"the alert resolved; the writer of {cluster} stays {writer?.Id} in {writer?.Zone}: DrSentinel never fails back by itself, moving it again is a human's choice");
        if (writer is null) return Refuse(RefusalCodes.UnknownResource, $"DB cluster {cluster} has no writer in the inventory: nothing is targeted");
        var ledger = FailoverLedger.From(db.Tags);
        if (writer.Zone != zone)
            return ledger is { } mine && mine.FromZone == zone
                ? Nothing(RefusalCodes.AlreadyFailedOver, $"DrSentinel failed {cluster} over out of {zone} at {mine.At:HH:mm:ss}; its writer is {writer.Id} in {writer.Zone} now")
                : Nothing(RefusalCodes.DoneByAws, $"the writer of {cluster} is already {writer.Id} in {writer.Zone}, out of {zone}: AWS (or a human) moved it; DrSentinel does nothing");

        var impairment = ZoneImpairment.Assess(snapshot, zone);
        if (!impairment.Impaired)
            return Refuse(RefusalCodes.ZoneHealthy, $"{zone} does not look impaired now ({impairment.Explanation}); nothing is failed over") with { WaitsForZone = true };
        var target = members.FirstOrDefault(d => d.IsClusterWriter is false && d.Available && d.Zone is { } z && z != zone && !ZoneImpairment.Assess(snapshot, z).Impaired);
        if (target is null)
            return Refuse(RefusalCodes.BothZonesImpaired, $"no reader of {cluster} is available in a healthy zone: a human decides");
        if (!writer.Available)
            return Refuse(RefusalCodes.ResourceBusy, $"{writer.Id} is {writer.Status}, not available: it cannot fail over now") with { WaitsForZone = true };
        if (CooldownOrGrace(request, ledger, cluster, Refuse) is { } heldBack) return heldBack;
        if (writer.Arn is null) return Refuse(RefusalCodes.UnknownResource, $"RDS reported no ARN for {writer.Id}: its ledger tag cannot be written");

        return new Plan(playbook, intent, zone, PlanVerdict.Act,
            $"{impairment.Explanation}; the writer {writer.Id} of {cluster} is still there after the grace period, reader {target.Id} in {target.Zone} can take over",
            [new FailoverDbCluster(cluster, writer.Id, writer.Arn, zone, target.Id, request.Episode)], [], 0, 0) { Resource = id };
    }

    public static Plan PlanCacheFailover(PlanRequest request)
    {
        const string playbook = Plan.CacheFailoverPlaybook;
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
        if (!impairment.Impaired)
            return Refuse(RefusalCodes.ZoneHealthy, $"{zone} does not look impaired now ({impairment.Explanation}); nothing is failed over") with { WaitsForZone = true };
        var candidates = group.Members.Where(m => m.NodeGroupId == primary.NodeGroupId && m.Role != "primary" && m.Zone is not null && m.Zone != zone).ToList();
        var healthy = candidates.Where(m => !ZoneImpairment.Assess(snapshot, m.Zone!).Impaired && ReplicaAnswers(snapshot, id, m.CacheClusterId))
            .OrderBy(m => m.CacheClusterId, StringComparer.Ordinal).ToList();
        if (healthy.Count == 0)
            return Refuse(RefusalCodes.BothZonesImpaired, candidates.Count == 0
                ? $"node group {primary.NodeGroupId} of {id} has no replica outside {zone}: a human decides"
                : $"no replica of {id} outside {zone} is in a healthy zone and answers its probe: a human decides");
        if (Grace(request) is { } remaining)
            return Refuse(RefusalCodes.GracePeriod,
                $"giving ElastiCache's automatic failover its chance on {id}: {remaining.TotalSeconds:F0} s of the {policy.FailoverGrace.TotalSeconds:F0} s grace period left (Actions:FailoverGrace)")
                with { WaitsForZone = true, RecheckAfter = remaining };
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
            $"{impairment.Explanation}; the primary {primary.CacheClusterId} of {id} is still there after the grace period, {healthy[0].CacheClusterId} in {healthy[0].Zone} can take over",
            [new FailoverCacheGroup(id, group.Arn, primary.NodeGroupId, zone, fallback, quotaSpent, request.Episode)], findings, 0, 0) { Resource = id };
    }

    /// <summary>
    /// The RDS playbooks' last holds before acting: another alert's failover of <paramref name="what"/> within the cooldown
    /// (a human decides), then AWS's grace period (planned again when it ends); null when neither holds.
    /// </summary>
    private static Plan? CooldownOrGrace(PlanRequest request, FailoverLedger? ledger, string what, Func<string, string, Plan> refuse)
    {
        var policy = request.Policy;
        if (ledger is { } earlier && earlier.Episode != request.Episode && request.Now - earlier.At < policy.FailoverCooldown)
            return refuse(RefusalCodes.Cooldown,
                $"DrSentinel failed {what} over for another alert {(request.Now - earlier.At).TotalMinutes:F1} min ago (cooldown {policy.FailoverCooldown.TotalMinutes:F0} min): a human decides");
        return Grace(request) is { } remaining
            ? refuse(RefusalCodes.GracePeriod,
                $"giving AWS its chance to fail {what} over by itself: {remaining.TotalSeconds:F0} s of the {policy.FailoverGrace.TotalSeconds:F0} s grace period left (Actions:FailoverGrace)")
                with { WaitsForZone = true, RecheckAfter = remaining }
            : null;
    }

    /// <summary>What is left of AWS's grace period, counted from the alert's start; null once it is over.</summary>
    internal static TimeSpan? Grace(PlanRequest request)
    {
        var remaining = request.AlertStartsAt + request.Policy.FailoverGrace - request.Now;
        return remaining > TimeSpan.Zero ? remaining : null;
    }

    /// <summary>A replica answers where it is probed; one not probed at all is not held against it.</summary>
    private static bool ReplicaAnswers(InventorySnapshot snapshot, string group, string member) =>
        snapshot.RedisProbes.FirstOrDefault(p => p.ReplicationGroup == group && p.CacheClusterId == member) is not { Up: false };
}
