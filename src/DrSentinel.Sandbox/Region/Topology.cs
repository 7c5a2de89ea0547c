using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrSentinel.Sandbox.Region;

/// <summary>The shape of a simulated region, read from a topology file (see topology.default.json).</summary>
public sealed record Topology
{
    public string Region { get; init; } = "eu-central-1";
    public string AccountId { get; init; } = "123456789012";
    public string ClusterName { get; init; } = "sandbox";
    public IReadOnlyList<string> AvailabilityZones { get; init; } = [];

    /// <summary>
    /// Each zone's ID (EC2 DescribeAvailabilityZones' ZoneId): the same physical zone in every account, while the names
    /// are mapped to IDs per account. ARC zonal shift speaks IDs. Zones left out get an ID a place further on, so no name
    /// maps to the ID its position suggests.
    /// </summary>
    public IReadOnlyDictionary<string, string> ZoneIds { get; init; } = new Dictionary<string, string>();

    /// <summary>The zone's ID in this account.</summary>
    public string ZoneId(string zone)
    {
        if (ZoneIds.TryGetValue(zone, out var id)) return id;
        var index = AvailabilityZones.ToList().IndexOf(zone);
        if (index < 0) throw new ArgumentException($"{zone} is not a zone of {Region}", nameof(zone));
        var parts = Region.Split('-');
        var prefix = parts.Length == 3 && parts[1].Length > 0 ? $"{parts[0]}{parts[1][0]}{parts[2]}" : Region;
        return $"{prefix}-az{(index + 1) % AvailabilityZones.Count + 1}";
    }

    /// <summary>The zone with that ID in this account, or null.</summary>
    public string? ZoneName(string zoneId) => AvailabilityZones.FirstOrDefault(z => ZoneId(z) == zoneId);
    public IReadOnlyList<SubnetSpec> Subnets { get; init; } = [];
    public IReadOnlyList<NodeGroupSpec> NodeGroups { get; init; } = [];
    public IReadOnlyList<DbInstanceSpec> DbInstances { get; init; } = [];
    public IReadOnlyList<DbClusterSpec> DbClusters { get; init; } = [];
    public IReadOnlyList<ReplicationGroupSpec> ReplicationGroups { get; init; } = [];

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static Topology Default()
    {
        using var stream = typeof(Topology).Assembly.GetManifestResourceStream("DrSentinel.Sandbox.topology.default.json")
            ?? throw new InvalidOperationException("the default topology is not embedded in the sandbox assembly");
        return Parse(stream, "embedded default topology");
    }

    public static Topology Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    public static Topology Parse(Stream json, string source)
    {
        Topology topology;
        try
        {
            topology = JsonSerializer.Deserialize<Topology>(json, JsonOptions)
                ?? throw new InvalidDataException($"{source}: the topology is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        topology.Validate(source);
        return topology;
    }

    private void Validate(string source)
    {
        var azs = AvailabilityZones.ToHashSet(StringComparer.Ordinal);
        var subnets = Subnets.ToDictionary(s => s.Id, s => s.AvailabilityZone, StringComparer.Ordinal);
        void Require(bool ok, string what)
        {
            if (!ok) throw new InvalidDataException($"{source}: {what}");
        }
        Require(azs.Count > 0, "availabilityZones must name at least one zone");
        Require(ZoneIds.Keys.All(azs.Contains), "zoneIds names a zone that is not in availabilityZones");
        Require(AvailabilityZones.Select(ZoneId).Distinct(StringComparer.Ordinal).Count() == azs.Count, "zoneIds gives two zones one ID");
        foreach (var subnet in Subnets)
            Require(azs.Contains(subnet.AvailabilityZone), $"subnet {subnet.Id} is in unknown zone {subnet.AvailabilityZone}");
        foreach (var group in NodeGroups)
        {
            Require(group.MinSize >= 0 && group.MinSize <= group.DesiredSize && group.DesiredSize <= group.MaxSize,
                $"node group {group.Name} needs 0 <= minSize <= desiredSize <= maxSize");
            Require(group.Subnets.Count > 0 && group.Subnets.All(subnets.ContainsKey), $"node group {group.Name} names an unknown subnet");
            Require(group.InstanceTypes.Count > 0, $"node group {group.Name} needs an instance type");
        }
        foreach (var db in DbInstances)
        {
            Require(azs.Contains(db.AvailabilityZone), $"DB instance {db.Id} is in unknown zone {db.AvailabilityZone}");
            Require(!db.MultiAz || (db.SecondaryAvailabilityZone is { } s && azs.Contains(s) && s != db.AvailabilityZone),
                $"Multi-AZ DB instance {db.Id} needs a secondaryAvailabilityZone other than its own");
            Require(db.ReplicaSourceId is null || DbInstances.Any(d => d.Id == db.ReplicaSourceId),
                $"DB instance {db.Id} replicates from unknown {db.ReplicaSourceId}");
        }
        foreach (var cluster in DbClusters)
            Require(cluster.Members.Count > 0 && cluster.Members.All(m => azs.Contains(m.AvailabilityZone)) && cluster.Members.Count(m => m.Writer) == 1,
                $"DB cluster {cluster.Id} needs members in known zones and exactly one writer");
        foreach (var group in ReplicationGroups)
            Require(group.Members.Count > 0 && group.Members.All(m => azs.Contains(m.AvailabilityZone)) && group.Members.Count(m => m.Primary) == 1,
                $"replication group {group.Id} needs members in known zones and exactly one primary");
    }
}

public sealed record SubnetSpec(string Id, string AvailabilityZone);

public sealed record TaintSpec(string Key, string Value, string Effect);

public sealed record NodeGroupSpec
{
    public required string Name { get; init; }
    public IReadOnlyList<string> InstanceTypes { get; init; } = [];
    public int MinSize { get; init; }
    public int MaxSize { get; init; }
    public int DesiredSize { get; init; }
    public IReadOnlyList<string> Subnets { get; init; } = [];
    /// <summary>One Auto Scaling group per subnet's zone (cluster-autoscaler's recommended layout) instead of one spanning them.</summary>
    public bool AutoScalingGroupPerAz { get; init; }
    public IReadOnlyList<TaintSpec> Taints { get; init; } = [];
    /// <summary>The resource's own tags (the operator's: drsentinel.io/allowed=true opts it into DrSentinel's IAM policy).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

public sealed record DbInstanceSpec
{
    public required string Id { get; init; }
    public string Engine { get; init; } = "postgres";
    public string EngineVersion { get; init; } = "15.8";
    public string InstanceClass { get; init; } = "db.r6g.large";
    public required string AvailabilityZone { get; init; }
    public string? SecondaryAvailabilityZone { get; init; }
    public bool MultiAz { get; init; }
    public int Port { get; init; } = 5432;
    public string? ReplicaSourceId { get; init; }
    /// <summary>The resource's own tags (the operator's: drsentinel.io/allowed=true opts it into DrSentinel's IAM policy).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

public sealed record DbClusterMemberSpec(string InstanceId, string AvailabilityZone, bool Writer);

public sealed record DbClusterSpec
{
    public required string Id { get; init; }
    public string Engine { get; init; } = "postgres";
    public IReadOnlyList<DbClusterMemberSpec> Members { get; init; } = [];
    /// <summary>The resource's own tags (the operator's: drsentinel.io/allowed=true opts it into DrSentinel's IAM policy).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

public sealed record CacheMemberSpec(string CacheClusterId, string AvailabilityZone, bool Primary = false);

public sealed record ReplicationGroupSpec
{
    public required string Id { get; init; }
    public string NodeType { get; init; } = "cache.r6g.large";
    public int Port { get; init; } = 6379;
    public bool AutomaticFailover { get; init; } = true;
    public bool MultiAz { get; init; } = true;
    public IReadOnlyList<CacheMemberSpec> Members { get; init; } = [];
    /// <summary>The resource's own tags (the operator's: drsentinel.io/allowed=true opts it into DrSentinel's IAM policy).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}
