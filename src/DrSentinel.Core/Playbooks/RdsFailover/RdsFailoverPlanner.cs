using DrSentinel.Inventory;
using DrSentinel.Planning;
using static DrSentinel.Planning.FailoverHolds;

namespace DrSentinel.Playbooks.RdsFailover;

/// <summary>The RDS failover playbook's planner (the order of its decisions: <see cref="FailoverHolds"/>).</summary>
public static class RdsFailoverPlanner
{
    public static Plan PlanRdsFailover(PlanRequest request)
    {
        const string playbook = RdsFailoverPlaybook.PlaybookName;
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
        if (!impairment.HoldsAlert(FailedOverFrom(snapshot, zone)))
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
            $"{impairment.Explanation}; the primary of {id} is {WhyNow(request)}; its standby's zone {standby} is healthy",
            [new FailoverDbInstance(id, db.Arn, zone, standby, request.Episode)], [], 0, 0) { Resource = id };
    }

    /// <summary>
    /// A Multi-AZ DB cluster: the writer named by the alert moves to a reader in a healthy zone (FailoverDBCluster with a
    /// TargetDBInstanceIdentifier), by the same decision as an instance. The ledger tag goes on the writer instance.
    /// </summary>
    private static Plan PlanClusterFailover(PlanRequest request, DbInstanceState db, string cluster)
    {
        const string playbook = RdsFailoverPlaybook.PlaybookName;
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
        if (!impairment.HoldsAlert(FailedOverFrom(snapshot, zone)))
            return Refuse(RefusalCodes.ZoneHealthy, $"{zone} does not look impaired now ({impairment.Explanation}); nothing is failed over") with { WaitsForZone = true };
        var target = members.FirstOrDefault(d => d.IsClusterWriter is false && d.Available && d.Zone is { } z && z != zone && !ZoneImpairment.Assess(snapshot, z).Impaired);
        if (target is null)
            return Refuse(RefusalCodes.BothZonesImpaired, $"no reader of {cluster} is available in a healthy zone: a human decides");
        if (!writer.Available)
            return Refuse(RefusalCodes.ResourceBusy, $"{writer.Id} is {writer.Status}, not available: it cannot fail over now") with { WaitsForZone = true };
        if (CooldownOrGrace(request, ledger, cluster, Refuse) is { } heldBack) return heldBack;
        if (writer.Arn is null) return Refuse(RefusalCodes.UnknownResource, $"RDS reported no ARN for {writer.Id}: its ledger tag cannot be written");

        return new Plan(playbook, intent, zone, PlanVerdict.Act,
            $"{impairment.Explanation}; the writer {writer.Id} of {cluster} is {WhyNow(request)}; reader {target.Id} in {target.Zone} can take over",
            [new FailoverDbCluster(cluster, writer.Id, writer.Arn, zone, target.Id, request.Episode)], [], 0, 0) { Resource = id };
    }
}
