using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Readiness;

namespace DrSentinel.Playbooks.RdsFailover;

/// <summary>
/// An RDS primary out of an impaired zone: a Multi-AZ instance's forced failover, a Multi-AZ DB cluster's failover, or a
/// read replica promoted when the source and its standby are both lost.
/// </summary>
public sealed class RdsFailoverPlaybook : IPlaybook
{
    public const string PlaybookName = "rds-failover";

    public string Name => PlaybookName;

    public const string MultiAzCheck = "rds-multi-az";
    public const string PromotableReplicasCheck = "rds-promotable-replicas";
    public const string AllowTagCheck = "rds-allow-tag";

    public ImmutableDictionary<string, string?> Alerts { get; } =
        ImmutableDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("DrSentinelRdsPrimaryInImpairedAz", (string?)"db_instance")]);

    public ImmutableArray<string> Reads { get; } = ["aws_rds"];

    public Plan Plan(PlanRequest request) => RdsFailoverPlanner.PlanRdsFailover(request);

    public IEnumerable<AlertRoute> RoutesIfLost(string zone, InventorySnapshot snapshot) =>
        snapshot.DbInstances.Where(d => d.Role == DbRole.Primary && d.Zone == zone).OrderBy(d => d.Id, StringComparer.Ordinal)
            .Select(d => new AlertRoute(PlanIntent.Failover, zone, Name, null) { Resource = d.Id });

    /// <summary>
    /// Each allowed DB instance Multi-AZ with its standby in another zone (a cluster writer: a reader in another zone). An
    /// allowed name found neither in RDS nor in ElastiCache is said here.
    /// </summary>
    public IEnumerable<ReadinessCheck> Readiness(ReadinessRequest request)
    {
        var (snapshot, policy) = (request.Snapshot, request.Policy);
        var rds = snapshot.DbInstances.Where(d => policy.AllowedDatabases.Contains(d.Id)).ToList();
        var unknown = policy.AllowedDatabases.Where(id => snapshot.DbInstances.All(d => d.Id != id) && snapshot.ReplicationGroups.All(g => g.Id != id))
            .Order(StringComparer.Ordinal).ToList();
        var caches = snapshot.ReplicationGroups.Any(g => policy.AllowedDatabases.Contains(g.Id));
        if (rds.Count > 0 || (unknown.Count > 0 && !caches))
            yield return ReadinessCheck.Unread(snapshot, "aws_rds", MultiAzCheck) ?? Rds(snapshot, rds, unknown);
        if (!policy.PromotableReplicas.IsEmpty)
            yield return ReadinessCheck.Unread(snapshot, "aws_rds", PromotableReplicasCheck) ?? Promotable(snapshot, policy);
        var acted = snapshot.DbInstances.Where(d => policy.AllowedDatabases.Contains(d.Id) || policy.PromotableReplicas.Contains(d.Id))
            .OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
        if (acted.Count > 0)
            yield return ReadinessCheck.Unread(snapshot, "aws_rds", AllowTagCheck) ?? ReadinessCheck.AllowTag(AllowTagCheck, "DB instance(s)",
                [.. acted.Select(d => d.Id)], [.. acted.Where(d => !LedgerKeys.OptedIn(d.Tags)).Select(d => d.Id)]);
    }

    /// <summary>
    /// Each replica in Actions:PromotableReplicas could be promoted if its source and the source's standby were lost: a
    /// read replica, in a zone of its own, probed, and no further behind than the RPO (the promotion's own refusals).
    /// </summary>
    private static ReadinessCheck Promotable(InventorySnapshot snapshot, ActionPolicy policy)
    {
        var problems = new List<string>();
        var evidence = new List<string>();
        var lags = ReplicaLag.Assess(snapshot).ToDictionary(l => l.DbInstance, StringComparer.Ordinal);
        foreach (var id in policy.PromotableReplicas.Order(StringComparer.Ordinal))
        {
            if (snapshot.DbInstances.FirstOrDefault(d => d.Id == id) is not { } replica)
            {
                problems.Add($"{id} (Actions:PromotableReplicas) is not in the inventory");
                continue;
            }
            if (replica.SourceInstanceId is not { } sourceId)
            {
                problems.Add($"{id} is not a read replica: nothing to promote");
                continue;
            }
            var source = snapshot.DbInstances.FirstOrDefault(d => d.Id == sourceId);
            var lag = lags.GetValueOrDefault(id);
            evidence.Add($"{id}: read replica of {sourceId} ({source?.Zone ?? "?"}, standby {source?.SecondaryZone ?? "none"}) in {replica.Zone}; "
                         + (lag?.Seconds is { } s ? $"{s:F0} s behind" : "lag unknown"));
            if (replica.Zone is not null && (replica.Zone == source?.Zone || replica.Zone == source?.SecondaryZone))
                problems.Add($"{id} is in {replica.Zone}, a zone its source {sourceId} is in: it would be lost with it");
            if (lag?.Seconds is not { } seconds)
                problems.Add($"{id}'s lag is unknown (its probe, or its source's, does not answer: Probes:Postgres): a promotion would be refused (lag-unknown)");
            else if (TimeSpan.FromSeconds(seconds) > policy.ReplicaPromotionRpo)
                problems.Add($"{id} is {seconds:F0} s behind {sourceId}, beyond the RPO of {policy.ReplicaPromotionRpo.TotalSeconds:F0} s (Actions:ReplicaPromotionRpo): a promotion would be refused");
        }
        return ReadinessCheck.From(PromotableReplicasCheck, problems, evidence,
            "every promotable read replica is in a zone of its own and within the RPO",
            "see to the replica's replication (and its probe), move it to another zone, or correct Actions:PromotableReplicas");
    }

    private static ReadinessCheck Rds(InventorySnapshot snapshot, List<DbInstanceState> allowed, List<string> unknown)
    {
        var problems = new List<string>();
        var evidence = new List<string>();
        problems.AddRange(unknown.Select(id => $"{id} (Actions:AllowedDatabases) is not in the inventory"));
        foreach (var db in allowed.OrderBy(d => d.Id, StringComparer.Ordinal))
        {
            if (db.ClusterId is { } cluster)
            {
                var members = snapshot.DbInstances.Where(d => d.ClusterId == cluster).ToList();
                var readersElsewhere = members.Where(m => m.IsClusterWriter == false && m.Zone != db.Zone).Select(m => $"{m.Id} in {m.Zone}").ToList();
                evidence.Add($"{db.Id}: member of DB cluster {cluster} in {db.Zone}; readers in other zones: {(readersElsewhere.Count == 0 ? "none" : string.Join(", ", readersElsewhere))}");
                if (readersElsewhere.Count == 0) problems.Add($"DB cluster {cluster} has no reader outside {db.Zone}");
                continue;
            }
            evidence.Add($"{db.Id}: {(db.MultiAz ? "Multi-AZ" : "single-AZ")}, primary in {db.Zone}, standby in {db.SecondaryZone ?? "none"}");
            if (db.SourceInstanceId is not null) problems.Add($"{db.Id} is a read replica: allow it in Actions:PromotableReplicas, not Actions:AllowedDatabases");
            else if (!db.MultiAz || db.SecondaryZone is null) problems.Add($"{db.Id} is not Multi-AZ: RDS has no standby to fail over to");
            else if (db.SecondaryZone == db.Zone) problems.Add($"{db.Id} has its standby in its primary's zone {db.Zone}");
        }
        return ReadinessCheck.From(MultiAzCheck, problems, evidence, "every allowed DB instance has a standby (or a cluster reader) in another zone",
            "modify the instance to Multi-AZ (aws rds modify-db-instance --multi-az --apply-immediately), or take it out of Actions:AllowedDatabases");
    }
}
