using System.Xml.Linq;

namespace DrSentinel.Clients.Aws.ElastiCache;

public sealed record CacheNodeGroupMember(string CacheClusterId, string? AvailabilityZone, string? CurrentRole, string? ReadEndpointAddress, int? ReadEndpointPort);

public sealed record CacheNodeGroup(string NodeGroupId, string Status, string? PrimaryEndpointAddress, int? PrimaryEndpointPort, IReadOnlyList<CacheNodeGroupMember> Members);

public sealed record ReplicationGroupDescription(
    string Id, string Status, string AutomaticFailover, string MultiAz, bool ClusterEnabled, IReadOnlyList<string> MemberClusters, IReadOnlyList<CacheNodeGroup> NodeGroups)
{
    public string? Arn { get; init; }
}

/// <summary>The settings ModifyReplicationGroup may change here; null leaves one as it is.</summary>
public sealed record ReplicationGroupChange(string? PrimaryClusterId = null, bool? AutomaticFailoverEnabled = null, bool? MultiAzEnabled = null, bool ApplyImmediately = true);

/// <summary>What DrSentinel reads from Amazon ElastiCache (IAM: elasticache:Describe*, elasticache:ListTagsForResource).</summary>
public interface IElastiCacheReader
{
    Task<IReadOnlyList<ReplicationGroupDescription>> DescribeReplicationGroupsAsync(string? groupId, CancellationToken cancel);
    Task<IReadOnlyList<CacheSnapshotDescription>> DescribeSnapshotsAsync(string? groupId, CancellationToken cancel);
    Task<IReadOnlyDictionary<string, string>> ListTagsForResourceAsync(string arn, CancellationToken cancel);
}

/// <summary>
/// What only the action engine may do to Amazon ElastiCache (IAM: elasticache:TestFailover,
/// elasticache:ModifyReplicationGroup, elasticache:AddTagsToResource, elasticache:RemoveTagsFromResource).
/// </summary>
public interface IElastiCacheActions
{
    Task<ReplicationGroupDescription> TestFailoverAsync(string groupId, string nodeGroupId, CancellationToken cancel);
    Task<ReplicationGroupDescription> ModifyReplicationGroupAsync(string groupId, ReplicationGroupChange change, CancellationToken cancel);
    Task AddTagsToResourceAsync(string arn, IReadOnlyList<Rds.ResourceTag> tags, CancellationToken cancel);
    Task RemoveTagsFromResourceAsync(string arn, IReadOnlyList<string> keys, CancellationToken cancel);
}

/// <summary>One ElastiCache snapshot: its replication group, source (automated, manual), status and when its newest node snapshot was taken.</summary>
public sealed record CacheSnapshotDescription(string Name, string? ReplicationGroupId, string Source, string Status, DateTimeOffset? CreatedAt);

/// <summary>Amazon ElastiCache (API 2015-02-02): the calls DrSentinel makes.</summary>
public interface IElastiCacheClient : IElastiCacheReader, IElastiCacheActions;

public sealed class ElastiCacheClient(AwsQueryClient query) : IElastiCacheClient
{
    public static readonly QueryApi Api = new("elasticache", "2015-02-02");

    public Task<IReadOnlyList<ReplicationGroupDescription>> DescribeReplicationGroupsAsync(string? groupId, CancellationToken cancel) =>
        query.PagesAsync(Api, "DescribeReplicationGroups", groupId is null ? [] : [new("ReplicationGroupId", groupId)], "ReplicationGroups", Parse, cancel);

    public Task<IReadOnlyList<CacheSnapshotDescription>> DescribeSnapshotsAsync(string? groupId, CancellationToken cancel) =>
        query.PagesAsync(Api, "DescribeSnapshots", groupId is null ? [] : [new("ReplicationGroupId", groupId)], "Snapshots", e => new CacheSnapshotDescription(
            e.RequiredText("SnapshotName"), e.Text("ReplicationGroupId"), e.Text("SnapshotSource") ?? "", e.Text("SnapshotStatus") ?? "",
            e.Items("NodeSnapshots").Select(n => n.Time("SnapshotCreateTime")).Max()), cancel);

    public async Task<ReplicationGroupDescription> TestFailoverAsync(string groupId, string nodeGroupId, CancellationToken cancel)
    {
        var result = await query.SendAsync(Api, "TestFailover", [new("ReplicationGroupId", groupId), new("NodeGroupId", nodeGroupId)], idempotent: false, cancel);
        return Parse(result.Child("ReplicationGroup")!);
    }

    public async Task<ReplicationGroupDescription> ModifyReplicationGroupAsync(string groupId, ReplicationGroupChange change, CancellationToken cancel)
    {
        static string Flag(bool value) => value ? "true" : "false";
        List<KeyValuePair<string, string>> parameters = [new("ReplicationGroupId", groupId), new("ApplyImmediately", Flag(change.ApplyImmediately))];
        if (change.PrimaryClusterId is { } primary) parameters.Add(new("PrimaryClusterId", primary));
        if (change.AutomaticFailoverEnabled is { } automatic) parameters.Add(new("AutomaticFailoverEnabled", Flag(automatic)));
        if (change.MultiAzEnabled is { } multiAz) parameters.Add(new("MultiAZEnabled", Flag(multiAz)));
        var result = await query.SendAsync(Api, "ModifyReplicationGroup", parameters, idempotent: false, cancel);
        return Parse(result.Child("ReplicationGroup")!);
    }

    public async Task<IReadOnlyDictionary<string, string>> ListTagsForResourceAsync(string arn, CancellationToken cancel) =>
        Rds.RdsClient.ParseTags(await query.SendAsync(Api, "ListTagsForResource", [new("ResourceName", arn)], idempotent: true, cancel), "TagList");

    public async Task AddTagsToResourceAsync(string arn, IReadOnlyList<Rds.ResourceTag> tags, CancellationToken cancel) =>
        await query.SendAsync(Api, "AddTagsToResource", [new("ResourceName", arn), .. Rds.RdsClient.TagParameters(tags)], idempotent: true, cancel);

    public async Task RemoveTagsFromResourceAsync(string arn, IReadOnlyList<string> keys, CancellationToken cancel) =>
        await query.SendAsync(Api, "RemoveTagsFromResource",
            [new("ResourceName", arn), .. keys.Select((k, i) => new KeyValuePair<string, string>($"TagKeys.member.{i + 1}", k))], idempotent: true, cancel);

    private static ReplicationGroupDescription Parse(XElement e) => new(
        e.RequiredText("ReplicationGroupId"), e.Text("Status") ?? "", e.Text("AutomaticFailover") ?? "", e.Text("MultiAZ") ?? "", e.Bool("ClusterEnabled"),
        e.Strings("MemberClusters"),
        e.Items("NodeGroups").Select(g => new CacheNodeGroup(
            g.RequiredText("NodeGroupId"), g.Text("Status") ?? "", g.Child("PrimaryEndpoint")?.Text("Address"), g.Child("PrimaryEndpoint")?.Int("Port"),
            g.Items("NodeGroupMembers").Select(m => new CacheNodeGroupMember(
                m.RequiredText("CacheClusterId"), m.Text("PreferredAvailabilityZone"), m.Text("CurrentRole"), m.Child("ReadEndpoint")?.Text("Address"),
                m.Child("ReadEndpoint")?.Int("Port"))).ToList())).ToList())
    {
        Arn = e.Text("ARN"),
    };
}
