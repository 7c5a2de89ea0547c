using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Readiness;

namespace DrSentinel.Playbooks.CacheFailover;

/// <summary>An ElastiCache replication group's primary out of an impaired zone: TestFailover, or a replica promoted.</summary>
public sealed class CacheFailoverPlaybook : IPlaybook
{
    public const string PlaybookName = "elasticache-failover";

    public string Name => PlaybookName;

    public const string FailoverCheck = "elasticache-failover";
    public const string TestFailoverQuotaCheck = "elasticache-test-failover-quota";
    public const string AllowTagCheck = "elasticache-allow-tag";

    public ImmutableDictionary<string, string?> Alerts { get; } =
        ImmutableDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("DrSentinelRedisPrimaryInImpairedAz", (string?)"replication_group")]);

    public ImmutableArray<string> Reads { get; } = ["aws_elasticache"];

    public Plan Plan(PlanRequest request) => CacheFailoverPlanner.PlanCacheFailover(request);

    public IEnumerable<AlertRoute> RoutesIfLost(string zone, InventorySnapshot snapshot) =>
        snapshot.ReplicationGroups.Where(g => g.Members.Any(m => m.Role == "primary" && m.Zone == zone)).OrderBy(g => g.Id, StringComparer.Ordinal)
            .Select(g => new AlertRoute(PlanIntent.Failover, zone, Name, null) { Resource = g.Id });

    /// <summary>
    /// Each allowed replication group with automatic failover and Multi-AZ on and members in two zones or more, and
    /// TestFailover quota left for every one of them.
    /// </summary>
    public IEnumerable<ReadinessCheck> Readiness(ReadinessRequest request)
    {
        var (snapshot, policy) = (request.Snapshot, request.Policy);
        var groups = snapshot.ReplicationGroups.Where(g => policy.AllowedDatabases.Contains(g.Id)).ToList();
        if (groups.Count == 0) yield break;
        yield return ReadinessCheck.Unread(snapshot, "aws_elasticache", FailoverCheck) ?? Cache(groups);
        yield return ReadinessCheck.Unread(snapshot, "aws_elasticache", AllowTagCheck) ?? ReadinessCheck.AllowTag(AllowTagCheck, "replication group(s)",
            [.. groups.Select(g => g.Id)], [.. groups.Where(g => !LedgerKeys.OptedIn(g.Tags)).Select(g => g.Id)]);
        var (used, left) = (request.TestFailoversLast24Hours, Math.Max(0, policy.TestFailoverQuota - request.TestFailoversLast24Hours));
        yield return ReadinessCheck.From(TestFailoverQuotaCheck,
            left >= groups.Count ? [] : [$"{left} TestFailover call(s) left in the rolling day for {groups.Count} replication group(s)"],
            [$"{used} of {policy.TestFailoverQuota} used in the last 24 h"], $"{left} TestFailover call(s) left, enough for every allowed group",
            "wait for the rolling day to free calls (DrSentinel promotes a replica by PrimaryClusterId meanwhile), or stop testing failovers in production hours");
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
        return ReadinessCheck.From(FailoverCheck, problems, evidence, "every allowed replication group can fail over into another zone",
            "turn on automatic failover and Multi-AZ (aws elasticache modify-replication-group --automatic-failover-enabled --multi-az-enabled --apply-immediately) with a replica in another zone");
    }
}
