using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;

namespace DrSentinel.Readiness;

/// <summary>Ready; not ready (what breaks the path from alert to AWS call); or not checked (no evidence either way, never shown as ready).</summary>
public enum ReadinessVerdict { Ready, NotReady, CouldNotCheck }

/// <summary>One named check: its verdict, why, what to do about it, and what it looked at.</summary>
public sealed record ReadinessCheck(string Check, ReadinessVerdict Verdict, string Reason, string Remedy, ImmutableArray<string> Evidence)
{
    public static ReadinessCheck From(string check, IReadOnlyCollection<string> problems, IReadOnlyCollection<string> evidence, string ready, string remedy) =>
        problems.Count == 0
            ? new(check, ReadinessVerdict.Ready, ready, "", [.. evidence])
            : new(check, ReadinessVerdict.NotReady, string.Join("; ", problems), remedy, [.. evidence]);
}

/// <summary>
/// Whether the resources are as the playbooks need them when a zone is lost, judged from the inventory and the policy
/// (pure, read-only): each allowed DB instance Multi-AZ with its standby in another zone (a cluster writer: a reader in
/// another zone); each allowed replication group with automatic failover and Multi-AZ on and members in two zones or
/// more, and TestFailover quota left for every one of them; the allowed node groups able to absorb the loss of any one
/// zone within MaxSize; each zonal-shift resource registered with ARC. A check applies only where something is allowed
/// (no verdict, no series, otherwise); one whose inventory source has not answered could not be checked.
/// </summary>
public static class ResourceReadiness
{
    public const string RdsMultiAz = "rds-multi-az";
    public const string ElastiCacheFailover = "elasticache-failover";
    public const string TestFailoverQuota = "elasticache-test-failover-quota";
    public const string NodeGroupHeadroom = "node-group-headroom";
    public const string ZonalShiftResources = "zonal-shift-resources";

    public static ImmutableArray<ReadinessCheck> Assess(InventorySnapshot snapshot, ActionPolicy policy, int testFailoversLast24Hours,
        IReadOnlyCollection<string> zonalShiftResources)
    {
        var checks = ImmutableArray.CreateBuilder<ReadinessCheck>();
        var rds = snapshot.DbInstances.Where(d => policy.AllowedDatabases.Contains(d.Id)).ToList();
        var groups = snapshot.ReplicationGroups.Where(g => policy.AllowedDatabases.Contains(g.Id)).ToList();
        var unknown = policy.AllowedDatabases.Where(id => snapshot.DbInstances.All(d => d.Id != id) && snapshot.ReplicationGroups.All(g => g.Id != id)).Order(StringComparer.Ordinal).ToList();

        if (rds.Count > 0 || (unknown.Count > 0 && groups.Count == 0))
            checks.Add(Unread(snapshot, "aws_rds", RdsMultiAz) ?? Rds(snapshot, rds, unknown));
        if (groups.Count > 0)
        {
            checks.Add(Unread(snapshot, "aws_elasticache", ElastiCacheFailover) ?? Cache(groups));
            var left = Math.Max(0, policy.TestFailoverQuota - testFailoversLast24Hours);
            checks.Add(ReadinessCheck.From(TestFailoverQuota, left >= groups.Count ? [] : [$"{left} TestFailover call(s) left in the rolling day for {groups.Count} replication group(s)"],
                [$"{testFailoversLast24Hours} of {policy.TestFailoverQuota} used in the last 24 h"], $"{left} TestFailover call(s) left, enough for every allowed group",
                "wait for the rolling day to free calls (DrSentinel promotes a replica by PrimaryClusterId meanwhile), or stop testing failovers in production hours"));
        }
        if (!policy.AllowedNodeGroups.IsEmpty)
            checks.Add(Unread(snapshot, "aws_autoscaling", NodeGroupHeadroom) ?? Headroom(snapshot, policy));
        if (policy.ShiftTrafficAway && zonalShiftResources.Count > 0)
            checks.Add(Unread(snapshot, "aws_zonal_shift", ZonalShiftResources) ?? Shifts(snapshot, zonalShiftResources));
        return checks.ToImmutable();
    }

    /// <summary>Could not check when the source that reads those resources has not answered.</summary>
    private static ReadinessCheck? Unread(InventorySnapshot snapshot, string source, string check) =>
        snapshot.Sources.TryGetValue(source, out var status) && status.LastSuccess is not null ? null
            : new(check, ReadinessVerdict.CouldNotCheck, $"the {source} source has not answered yet{(snapshot.Sources.GetValueOrDefault(source)?.LastErrorType is { } error ? $" ({error})" : "")}",
                "see drsentinel_source_up and the log: DrSentinel cannot read these resources", []);

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
        return ReadinessCheck.From(RdsMultiAz, problems, evidence, "every allowed DB instance has a standby (or a cluster reader) in another zone",
            "modify the instance to Multi-AZ (aws rds modify-db-instance --multi-az --apply-immediately), or take it out of Actions:AllowedDatabases");
    }

    private static ReadinessCheck Cache(List<ReplicationGroupState> groups)
    {
        var problems = new List<string>();
        var evidence = new List<string>();
        foreach (var group in groups.OrderBy(g => g.Id, StringComparer.Ordinal))
        {
            var zones = group.Members.Select(m => m.Zone).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            evidence.Add($"{group.Id}: automatic failover {(group.AutomaticFailover ? "on" : "off")}, Multi-AZ {(group.MultiAz ? "on" : "off")}, members in {string.Join(", ", zones)}");
            if (!group.AutomaticFailover) problems.Add($"{group.Id} has automatic failover off: TestFailover is refused");
            if (!group.MultiAz) problems.Add($"{group.Id} has Multi-AZ off");
            if (zones.Count < 2 || group.ExpectedReplicas == 0) problems.Add($"{group.Id} has no replica in another zone");
        }
        return ReadinessCheck.From(ElastiCacheFailover, problems, evidence, "every allowed replication group can fail over into another zone",
            "turn on automatic failover and Multi-AZ (aws elasticache modify-replication-group --automatic-failover-enabled --multi-az-enabled --apply-immediately) with a replica in another zone");
    }

    private static ReadinessCheck Headroom(InventorySnapshot snapshot, ActionPolicy policy)
    {
        var allowed = snapshot.ScalingGroups.Where(g => policy.Allows(EvacuationPlanner.Ref(g))).ToImmutableArray();
        var problems = new List<string>();
        var missing = policy.AllowedNodeGroups.Where(n => allowed.All(g => g.Name != n && g.NodeGroup != n)).Order(StringComparer.Ordinal).ToList();
        problems.AddRange(missing.Select(n => $"{n} (Actions:AllowedNodeGroups) matches no Auto Scaling group"));
        var headroom = ZoneLossHeadroom.Assess(snapshot with { ScalingGroups = allowed });
        problems.AddRange(headroom.Where(h => h.Shortfall > 0).Select(h => $"losing {h.Zone} would leave {h.Shortfall} of {h.Lost} instance(s) without room under MaxSize"));
        return ReadinessCheck.From(NodeGroupHeadroom, problems, [.. headroom.Select(h => $"{h.Zone}: {h.Lost} instance(s) to make up, room for {h.Absorbable}")],
            "the allowed node groups can absorb the loss of any one zone within MaxSize", "raise MaxSize of the allowed groups in the other zones, or allow more groups");
    }

    private static ReadinessCheck Shifts(InventorySnapshot snapshot, IReadOnlyCollection<string> configured)
    {
        var seen = snapshot.ZonalShiftResources.Where(r => !r.AppliedWeights.IsEmpty).Select(r => r.Arn).ToHashSet(StringComparer.Ordinal);
        var problems = configured.Where(arn => !seen.Contains(arn)).Select(arn => $"{arn} is not registered with ARC zonal shift (no weights)").ToList();
        return ReadinessCheck.From(ZonalShiftResources, problems, [.. snapshot.ZonalShiftResources.Select(r => $"{r.Name}: {string.Join(", ", r.AppliedWeights.Keys)}")],
            "every resource in Inventory:ZonalShiftResources is registered with ARC zonal shift", "check the ARN, and that the resource is enabled for zonal shift (EKS: aws eks update-cluster-config --zonal-shift-config enabled=true)");
    }
}
