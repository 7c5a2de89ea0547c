using DrSentinel.Inventory;
using DrSentinel.Planning;

namespace DrSentinel.Playbooks.RdsFailover;

/// <summary>
/// The last resort for an RDS primary whose Multi-AZ partner is lost with it (or that has none): promote a read replica in
/// a healthy zone to a standalone primary. It ends replication for good and loses what the replica had not replayed, so
/// it runs only for replicas listed in <see cref="ActionPolicy.PromotableReplicas"/>, only when the replica's probe
/// answers and its WAL receiver no longer streams (a source still streaming is alive: promoting would split the
/// database), and only when the age of its newest replayed write — an upper bound of the writes lost — is within
/// <see cref="ActionPolicy.ReplicaPromotionRpo"/>. The RDS playbook hands over to it where it would refuse for want of a partner.
/// </summary>
public static class ReplicaPromotionPlanner
{
    /// <summary>Its plans' playbook: the RDS failover playbook's lane makes them, under a name of their own.</summary>
    public const string PlaybookName = "rds-replica-promotion";

    /// <summary>A replica DrSentinel promoted out of <paramref name="source"/>'s zone for this incident or zone; null when none.</summary>
    public static Plan? AlreadyPromoted(PlanRequest request, string source, string zone)
    {
        foreach (var db in request.Snapshot.DbInstances)
        {
            if (db.Tags.GetValueOrDefault(LedgerKeys.PromotedFrom) != source || FailoverLedger.From(db.Tags) is not { } ledger) continue;
            if (ledger.Episode != request.Episode && ledger.FromZone != zone) continue;
            return Plan.Nothing(ReplicaPromotionPlanner.PlaybookName, request.Route.Intent!.Value, zone, RefusalCodes.AlreadyFailedOver,
                $"DrSentinel promoted read replica {db.Id} at {ledger.At:HH:mm:ss} because {source} was lost in {ledger.FromZone}" +
                (db.SourceInstanceId is null ? $"; {db.Id} is a standalone primary in {db.Zone} ({db.Status})" : $"; the promotion is under way ({db.Status})"))
                with { Resource = source };
        }
        return null;
    }

    /// <summary>
    /// Plans the promotion of one of <paramref name="source"/>'s replicas, or returns <paramref name="noPartner"/> (the RDS
    /// playbook's own refusal) when none of them is enabled for promotion.
    /// </summary>
    public static Plan PlanPromotion(PlanRequest request, DbInstanceState source, Plan noPartner)
    {
        const string playbook = ReplicaPromotionPlanner.PlaybookName;
        var (policy, snapshot, zone) = (request.Policy, request.Snapshot, request.Route.Zone!);
        Plan Refuse(string code, string reason) => Plan.Refuse(playbook, PlanIntent.Failover, zone, code, reason) with { Resource = source.Id };

        var replicas = snapshot.DbInstances.Where(d => d.SourceInstanceId == source.Id).OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
        var enabled = replicas.Where(d => policy.PromotableReplicas.Contains(d.Id)).ToList();
        if (enabled.Count == 0)
            return replicas.Count == 0 ? noPartner
                : noPartner with { Reason = noPartner.Reason + $"; its read replica(s) {string.Join(", ", replicas.Select(r => r.Id))} are not in Actions:PromotableReplicas" };

        var healthy = enabled.Where(r => r.Zone is { } z && z != zone && !ZoneImpairment.Assess(snapshot, z).Impaired).ToList();
        if (healthy.Count == 0)
            return Refuse(RefusalCodes.BothZonesImpaired,
                $"{noPartner.Reason}; no promotable read replica of {source.Id} is in a healthy zone ({string.Join(", ", enabled.Select(r => $"{r.Id} in {r.Zone}"))}): a human decides");

        // The replica that loses least: the newest replayed write. One whose probe does not answer has an unknown lag.
        var measured = healthy.Select(r => (Replica: r, Probe: snapshot.PostgresProbes.FirstOrDefault(p => p.DbInstance == r.Id)))
            .OrderBy(m => m.Probe is { Up: true, LastReplayAgeSeconds: { } age } ? age : double.MaxValue).ToList();
        var (replica, probe) = measured[0];
        if (probe is not { Up: true, LastReplayAgeSeconds: { } replayAge })
            return Refuse(RefusalCodes.LagUnknown, probe is null
                ? $"{replica.Id} is not probed (Probes:Postgres): how many writes a promotion would lose is unknown; a human decides"
                : $"{replica.Id}'s probe {(probe.Up ? "reports no replayed write" : "does not answer")}: how many writes a promotion would lose is unknown; a human decides");
        if (probe.WalReceiverStreaming is true)
            return Refuse(RefusalCodes.ReplicaStreaming,
                $"{replica.Id} still streams from {source.Id}: the source is alive and promoting would split the database; waiting for its stream to end") with { WaitsForZone = true };
        if (FailoverHolds.Grace(request) is { } remaining)
            return Refuse(RefusalCodes.GracePeriod,
                $"giving {zone} its chance to come back before promoting {replica.Id} ends replication for good: {remaining.TotalSeconds:F0} s of the {policy.FailoverGrace.TotalSeconds:F0} s grace period left (Actions:FailoverGrace)")
                with { WaitsForZone = true, RecheckAfter = remaining };
        var lag = TimeSpan.FromSeconds(replayAge);
        if (lag > policy.ReplicaPromotionRpo)
            return Refuse(RefusalCodes.BeyondRpo,
                $"{replica.Id}'s newest replayed write is {lag.TotalSeconds:F0} s old: promoting it could lose more than the RPO of {policy.ReplicaPromotionRpo.TotalSeconds:F0} s (Actions:ReplicaPromotionRpo; raise it to accept the loss)");
        if (!replica.Available)
            return Refuse(RefusalCodes.ResourceBusy, $"{replica.Id} is {replica.Status}, not available: it cannot be promoted now") with { WaitsForZone = true };
        if (replica.Arn is null) return Refuse(RefusalCodes.UnknownResource, $"RDS reported no ARN for {replica.Id}: its ledger tag cannot be written");

        var since = request.Now - lag;
        var endpoint = replica.EndpointAddress is null ? "its own endpoint" : $"its own endpoint {replica.EndpointAddress}:{replica.EndpointPort}";
        return new Plan(playbook, PlanIntent.Failover, zone, PlanVerdict.Act,
            $"the primary of {source.Id} is in impaired {zone} with no healthy Multi-AZ partner ({noPartner.ReasonCode}); read replica {replica.Id} in {replica.Zone} answers, no longer streams, and its newest write is {lag.TotalSeconds:F0} s old (RPO {policy.ReplicaPromotionRpo.TotalSeconds:F0} s)",
            [new PromoteReadReplica(replica.Id, replica.Arn, source.Id, zone, replica.Zone!, lag, request.Episode)],
            [$"writes committed on {source.Id} after {since:HH:mm:ss} (up to {lag.TotalSeconds:F0} s of them) are lost with it",
             $"replication from {source.Id} to {replica.Id} ends for good: point the application at {endpoint}; {source.Id} is left as it is for a human"],
            0, 0) { Resource = source.Id };
    }
}
