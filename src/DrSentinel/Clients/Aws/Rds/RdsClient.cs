using System.Xml.Linq;

namespace DrSentinel.Clients.Aws.Rds;

public sealed record DbInstanceDescription(
    string Id, string Engine, string Status, string? AvailabilityZone, string? SecondaryAvailabilityZone, bool MultiAz,
    string? EndpointAddress, int? EndpointPort, string? ReplicaSourceId, IReadOnlyList<string> ReplicaIds, string? ClusterId, string? Arn)
{
    /// <summary>The instance's tags as DescribeDBInstances lists them (TagList).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>The newest time a point-in-time restore can reach; null without automated backups (a read replica).</summary>
    public DateTimeOffset? LatestRestorableTime { get; init; }
}

/// <summary>One DB snapshot: its instance, type (automated, manual, ...), status and when it was taken.</summary>
public sealed record DbSnapshotDescription(string Id, string InstanceId, string Type, string Status, DateTimeOffset? CreatedAt);

public sealed record ResourceTag(string Key, string Value);

public sealed record DbClusterMemberDescription(string InstanceId, bool IsWriter);

public sealed record DbClusterDescription(
    string Id, string Engine, string Status, bool MultiAz, IReadOnlyList<string> AvailabilityZones, IReadOnlyList<DbClusterMemberDescription> Members, string? Arn);

public sealed record RdsEventDescription(string SourceIdentifier, string SourceType, string Message, IReadOnlyList<string> Categories, DateTimeOffset Date);

/// <summary>What DrSentinel reads from Amazon RDS (IAM: rds:Describe*).</summary>
public interface IRdsReader
{
    Task<IReadOnlyList<DbInstanceDescription>> DescribeDbInstancesAsync(string? instanceId, CancellationToken cancel);
    Task<IReadOnlyList<DbClusterDescription>> DescribeDbClustersAsync(string? clusterId, CancellationToken cancel);
    Task<IReadOnlyList<DbSnapshotDescription>> DescribeDbSnapshotsAsync(string? instanceId, CancellationToken cancel);
    Task<IReadOnlyList<RdsEventDescription>> DescribeEventsAsync(string? sourceId, string? sourceType, TimeSpan window, CancellationToken cancel);
}

/// <summary>
/// What only the action engine may do to Amazon RDS (IAM: rds:RebootDBInstance, rds:FailoverDBCluster,
/// rds:PromoteReadReplica, rds:AddTagsToResource, rds:RemoveTagsFromResource).
/// </summary>
public interface IRdsActions
{
    /// <summary>With <paramref name="forceFailover"/>, a Multi-AZ instance's standby becomes the primary.</summary>
    Task<DbInstanceDescription> RebootDbInstanceAsync(string instanceId, bool forceFailover, CancellationToken cancel);
    Task<DbClusterDescription> FailoverDbClusterAsync(string clusterId, string? targetInstanceId, CancellationToken cancel);
    Task<DbInstanceDescription> PromoteReadReplicaAsync(string instanceId, CancellationToken cancel);
    Task AddTagsToResourceAsync(string arn, IReadOnlyList<ResourceTag> tags, CancellationToken cancel);
    Task RemoveTagsFromResourceAsync(string arn, IReadOnlyList<string> keys, CancellationToken cancel);
}

/// <summary>Amazon RDS (API 2014-10-31): the calls DrSentinel makes.</summary>
public interface IRdsClient : IRdsReader, IRdsActions;

public sealed class RdsClient(AwsQueryClient query) : IRdsClient
{
    public static readonly QueryApi Api = new("rds", "2014-10-31");

    public async Task<IReadOnlyList<DbInstanceDescription>> DescribeDbInstancesAsync(string? instanceId, CancellationToken cancel) =>
        await query.PagesAsync(Api, "DescribeDBInstances", Optional("DBInstanceIdentifier", instanceId), "DBInstances", ParseInstance, cancel);

    public async Task<IReadOnlyList<DbClusterDescription>> DescribeDbClustersAsync(string? clusterId, CancellationToken cancel) =>
        await query.PagesAsync(Api, "DescribeDBClusters", Optional("DBClusterIdentifier", clusterId), "DBClusters", ParseCluster, cancel);

    public async Task<IReadOnlyList<DbSnapshotDescription>> DescribeDbSnapshotsAsync(string? instanceId, CancellationToken cancel) =>
        await query.PagesAsync(Api, "DescribeDBSnapshots", Optional("DBInstanceIdentifier", instanceId), "DBSnapshots", e => new DbSnapshotDescription(
            e.RequiredText("DBSnapshotIdentifier"), e.RequiredText("DBInstanceIdentifier"), e.Text("SnapshotType") ?? "", e.Text("Status") ?? "", e.Time("SnapshotCreateTime")), cancel);

    public async Task<DbInstanceDescription> RebootDbInstanceAsync(string instanceId, bool forceFailover, CancellationToken cancel)
    {
        var result = await query.SendAsync(Api, "RebootDBInstance",
            [new("DBInstanceIdentifier", instanceId), new("ForceFailover", forceFailover ? "true" : "false")], idempotent: false, cancel);
        return ParseInstance(result.Child("DBInstance")!);
    }

    public async Task<DbClusterDescription> FailoverDbClusterAsync(string clusterId, string? targetInstanceId, CancellationToken cancel)
    {
        var result = await query.SendAsync(Api, "FailoverDBCluster",
            [new("DBClusterIdentifier", clusterId), .. Optional("TargetDBInstanceIdentifier", targetInstanceId)], idempotent: false, cancel);
        return ParseCluster(result.Child("DBCluster")!);
    }

    public async Task<DbInstanceDescription> PromoteReadReplicaAsync(string instanceId, CancellationToken cancel)
    {
        var result = await query.SendAsync(Api, "PromoteReadReplica", [new("DBInstanceIdentifier", instanceId)], idempotent: false, cancel);
        return ParseInstance(result.Child("DBInstance")!);
    }

    public async Task<IReadOnlyList<RdsEventDescription>> DescribeEventsAsync(string? sourceId, string? sourceType, TimeSpan window, CancellationToken cancel)
    {
        List<KeyValuePair<string, string>> parameters =
            [.. Optional("SourceIdentifier", sourceId), .. Optional("SourceType", sourceType),
             new("Duration", ((int)Math.Ceiling(window.TotalMinutes)).ToString(System.Globalization.CultureInfo.InvariantCulture))];
        return await query.PagesAsync(Api, "DescribeEvents", parameters, "Events", e => new RdsEventDescription(
            e.RequiredText("SourceIdentifier"), e.Text("SourceType") ?? "", e.Text("Message") ?? "", e.Strings("EventCategories"), e.Time("Date") ?? default), cancel);
    }

    public async Task AddTagsToResourceAsync(string arn, IReadOnlyList<ResourceTag> tags, CancellationToken cancel) =>
        await query.SendAsync(Api, "AddTagsToResource", [new("ResourceName", arn), .. TagParameters(tags)], idempotent: true, cancel);

    public async Task RemoveTagsFromResourceAsync(string arn, IReadOnlyList<string> keys, CancellationToken cancel) =>
        await query.SendAsync(Api, "RemoveTagsFromResource",
            [new("ResourceName", arn), .. keys.Select((k, i) => new KeyValuePair<string, string>($"TagKeys.member.{i + 1}", k))], idempotent: true, cancel);

    /// <summary>Tags as RDS and ElastiCache take them: Tags.Tag.N.Key and .Value.</summary>
    internal static IEnumerable<KeyValuePair<string, string>> TagParameters(IReadOnlyList<ResourceTag> tags) =>
        tags.SelectMany((t, i) => new KeyValuePair<string, string>[] { new($"Tags.Tag.{i + 1}.Key", t.Key), new($"Tags.Tag.{i + 1}.Value", t.Value) });

    internal static Dictionary<string, string> ParseTags(XElement e, string listName) =>
        e.Items(listName).GroupBy(t => t.RequiredText("Key"), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Text("Value") ?? "", StringComparer.Ordinal);

    private static List<KeyValuePair<string, string>> Optional(string name, string? value) => value is null ? [] : [new(name, value)];

    private static DbInstanceDescription ParseInstance(XElement e)
    {
        var endpoint = e.Child("Endpoint");
        return new DbInstanceDescription(
            e.RequiredText("DBInstanceIdentifier"), e.Text("Engine") ?? "", e.Text("DBInstanceStatus") ?? "", e.Text("AvailabilityZone"),
            e.Text("SecondaryAvailabilityZone"), e.Bool("MultiAZ"), endpoint?.Text("Address"), endpoint is null ? null : endpoint.Int("Port"),
            e.Text("ReadReplicaSourceDBInstanceIdentifier"), e.Strings("ReadReplicaDBInstanceIdentifiers"), e.Text("DBClusterIdentifier"), e.Text("DBInstanceArn"))
        {
            Tags = ParseTags(e, "TagList"),
            LatestRestorableTime = e.Time("LatestRestorableTime"),
        };
    }

    private static DbClusterDescription ParseCluster(XElement e) => new(
        e.RequiredText("DBClusterIdentifier"), e.Text("Engine") ?? "", e.Text("Status") ?? "", e.Bool("MultiAZ"), e.Strings("AvailabilityZones"),
        e.Items("DBClusterMembers").Select(m => new DbClusterMemberDescription(m.RequiredText("DBInstanceIdentifier"), m.Bool("IsClusterWriter"))).ToList(),
        e.Text("DBClusterArn"));
}
