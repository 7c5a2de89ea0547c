namespace DrSentinel.Sandbox.Region;

// Tags on RDS DB instances and clusters and on ElastiCache replication groups, addressed by ARN as the tagging APIs
// address them. A playbook keeps its ledger in such a tag, so the tag outlives any failover of its resource.
public sealed partial class SandboxRegion
{
    /// <summary>ElastiCache allows 50 tags on a resource.</summary>
    public const int CacheTagLimit = 50;

    internal string DbInstanceArn(string id) => $"arn:aws:rds:{Name}:{Topology.AccountId}:db:{id}";
    internal string DbClusterArn(string id) => $"arn:aws:rds:{Name}:{Topology.AccountId}:cluster:{id}";
    internal string ReplicationGroupArn(string id) => $"arn:aws:elasticache:{Name}:{Topology.AccountId}:replicationgroup:{id}";
    internal string CacheClusterArn(string id) => $"arn:aws:elasticache:{Name}:{Topology.AccountId}:cluster:{id}";

    /// <summary>Splits arn:partition:service:region:account:type:id; null when the text has another shape.</summary>
    private static (string Service, string Region, string Account, string Type, string Id)? SplitArn(string arn)
    {
        var parts = arn.Split(':');
        if (parts.Length != 7 || parts[0] != "arn" || parts[1].Length == 0 || parts[5].Length == 0 || parts[6].Length == 0) return null;
        return (parts[2], parts[3], parts[4], parts[5], parts[6]);
    }

    /// <summary>The tags of the RDS resource an ARN names, with RDS's answers for an ARN that names nothing here.</summary>
    internal SortedDictionary<string, string> RdsTags(string arn)
    {
        if (SplitArn(arn) is not { Service: "rds" } parsed)
            throw AwsFaultException.InvalidParameterValue($"Invalid resource name: {arn}");
        if (parsed.Region != Name || parsed.Account != Topology.AccountId)
            throw AwsFaultException.InvalidParameterValue("The specified resource name does not match an RDS resource in this region.");
        return parsed.Type switch
        {
            "db" => RequireDbInstance(parsed.Id).Tags,
            "cluster" => RequireDbCluster(parsed.Id).Tags,
            _ => throw AwsFaultException.InvalidParameterValue($"The sandbox keeps tags on DB instances and DB clusters only, not on '{parsed.Type}' resources."),
        };
    }

    /// <summary>The tags of the ElastiCache resource an ARN names, with ElastiCache's answers for an ARN that names nothing here.</summary>
    internal SortedDictionary<string, string> CacheTags(string arn)
    {
        if (arn.Split(':').Length != 7) throw new AwsFaultException("InvalidARN", "Input ARN string does not have 7 components.");
        if (SplitArn(arn) is not { Service: "elasticache" } parsed) throw new AwsFaultException("InvalidARN", $"{arn} is not an ElastiCache ARN.");
        var here = parsed.Region == Name && parsed.Account == Topology.AccountId;
        switch (parsed.Type)
        {
            case "replicationgroup":
                return here ? RequireReplicationGroup(parsed.Id).Tags : throw ReplicationGroupNotFound(parsed.Id);
            case "cluster" when here && ReplicationGroups.Values.FirstOrDefault(g => g.Members.Any(m => m.CacheClusterId == parsed.Id)) is { } group:
                throw AwsFaultException.InvalidParameterValue($"The sandbox keeps tags on replication groups only: tag {ReplicationGroupArn(group.Id)}.");
            case "cluster":
                throw new AwsFaultException("CacheClusterNotFound", $"CacheCluster {parsed.Id} not found.", 404);
            default:
                throw AwsFaultException.InvalidParameterValue($"The sandbox keeps tags on replication groups only, not on '{parsed.Type}' resources.");
        }
    }

    /// <summary>
    /// ListTagsForResource's tags. botocore: "If the cluster is not in the available state, ListTagsForResource returns an
    /// error": a replication group that is not available (failing over, modifying) is answered InvalidReplicationGroupState.
    /// </summary>
    internal SortedDictionary<string, string> CacheTagsToList(string arn)
    {
        var tags = CacheTags(arn);
        if (SplitArn(arn) is { Type: "replicationgroup" } parsed && RequireReplicationGroup(parsed.Id) is { Status: not "available" } group)
            throw new AwsFaultException("InvalidReplicationGroupState", $"Replication group {group.Id} is not in available state (it is {group.Status}).");
        return tags;
    }

    /// <summary>Sets each tag, replacing the value of a key the resource already has.</summary>
    internal static void AddTags(SortedDictionary<string, string> tags, IReadOnlyList<KeyValuePair<string, string>> added, int? limit = null)
    {
        if (limit is { } most && tags.Keys.Union(added.Select(t => t.Key), StringComparer.Ordinal).Count() > most)
            throw new AwsFaultException("TagQuotaPerResourceExceeded",
                $"The request cannot be processed because it would cause the resource to have more than the allowed number of tags. The maximum number of tags permitted on a resource is {most}.");
        foreach (var (key, value) in added) tags[key] = value;
    }

    /// <summary>Removes the keys; ElastiCache refuses the whole request when one of them is not there, RDS ignores it.</summary>
    internal static void RemoveTags(SortedDictionary<string, string> tags, IReadOnlyList<string> keys, bool missingKeyIsAnError)
    {
        if (missingKeyIsAnError && keys.FirstOrDefault(k => !tags.ContainsKey(k)) is { } missing)
            throw new AwsFaultException("TagNotFound", $"The tag {missing} was not found on this resource.", 404);
        foreach (var key in keys) tags.Remove(key);
    }
}
