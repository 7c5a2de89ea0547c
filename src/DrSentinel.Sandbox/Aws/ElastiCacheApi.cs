using System.Xml;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Aws;

/// <summary>Amazon ElastiCache, API version 2015-02-02.</summary>
public static class ElastiCacheApi
{
    public static readonly QueryService Service = new("elasticache", "2015-02-02", "http://elasticache.amazonaws.com/doc/2015-02-02/",
        new Dictionary<string, Operation>(StringComparer.Ordinal)
        {
            ["DescribeReplicationGroups"] = new(DescribeReplicationGroups),
            ["DescribeCacheClusters"] = new(DescribeCacheClusters),
            ["DescribeSnapshots"] = new(DescribeSnapshots),
            ["DescribeEvents"] = new(DescribeEvents),
            ["TestFailover"] = new((p, r, w) => WriteGroup(w, r, r.TestFailover(p.Required("ReplicationGroupId"), p.Required("NodeGroupId")))),
            ["ModifyReplicationGroup"] = new((p, r, w) => WriteGroup(w, r, r.ModifyReplicationGroup(
                p.Required("ReplicationGroupId"), p.Optional("PrimaryClusterId"), p.OptionalBool("AutomaticFailoverEnabled"), p.OptionalBool("MultiAZEnabled"),
                p.OptionalBool("ApplyImmediately") ?? false))),
            ["AddTagsToResource"] = new((p, r, w) => w.TagList(AddTags(r.CacheTags(p.Required("ResourceName")), TagParameters.Tags(p)))),
            ["ListTagsForResource"] = new((p, r, w) => w.TagList(r.CacheTagsToList(p.Required("ResourceName")))),
            ["RemoveTagsFromResource"] = new((p, r, w) => w.TagList(RemoveTags(r.CacheTags(p.Required("ResourceName")), TagParameters.TagKeys(p)))),
        }) { Errors = ModeledErrors.ElastiCache };

    /// <summary>ElastiCache answers a tag change with every tag the resource has afterwards.</summary>
    private static SortedDictionary<string, string> AddTags(SortedDictionary<string, string> tags, IReadOnlyList<KeyValuePair<string, string>> added)
    {
        SandboxRegion.AddTags(tags, added, SandboxRegion.CacheTagLimit);
        return tags;
    }

    private static SortedDictionary<string, string> RemoveTags(SortedDictionary<string, string> tags, IReadOnlyList<string> keys)
    {
        SandboxRegion.RemoveTags(tags, keys, missingKeyIsAnError: true);
        return tags;
    }

    private static void DescribeReplicationGroups(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var id = p.Optional("ReplicationGroupId");
        if (id is not null) r.RequireReplicationGroup(id);
        var pageSize = PageSize(p);
        var matches = r.ReplicationGroups.Values.Where(g => id is null || g.Id == id).OrderBy(g => g.Id, StringComparer.Ordinal).ToList();
        var (page, next) = QueryParameters.Paginate(matches, p.Optional("Marker"), pageSize);
        w.List("ReplicationGroups", "ReplicationGroup", page, (x, g) => WriteGroupFields(x, r, g));
        w.Element("Marker", next);
    }

    /// <summary>Each replication group's automated snapshots (taken from its primary), oldest first.</summary>
    private static void DescribeSnapshots(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var id = p.Optional("ReplicationGroupId");
        var source = p.Optional("SnapshotSource");
        if (source is not (null or "system" or "user"))
            throw AwsFaultException.InvalidParameterValue($"Invalid value {source} for SnapshotSource. Must be system or user");
        if (id is not null) r.RequireReplicationGroup(id);
        var snapshots = source is null or "system"
            ? r.ReplicationGroups.Values.Where(g => id is null || g.Id == id).OrderBy(g => g.Id, StringComparer.Ordinal)
                .SelectMany(g => r.CacheAutomatedSnapshots.Select(at => (Group: g, At: at))).ToList()
            : [];
        var (page, next) = QueryParameters.Paginate(snapshots, p.Optional("Marker"), p.OptionalInt("MaxRecords") is { } max and (< 20 or > 50)
            ? throw AwsFaultException.InvalidParameterValue($"Invalid value {max} for MaxRecords. Must be between 20 and 50")
            : p.OptionalInt("MaxRecords") ?? 50);
        w.List("Snapshots", "Snapshot", page, (x, s) =>
        {
            var primary = s.Group.Members.FirstOrDefault(m => m.Primary) ?? s.Group.Members[0];
            x.Element("SnapshotName", $"automatic.{s.Group.Id}-{s.At.UtcDateTime:yyyy-MM-dd-HH-mm}");
            x.Element("ReplicationGroupId", s.Group.Id);
            x.Element("SnapshotStatus", "available");
            x.Element("SnapshotSource", "automated");
            x.Element("CacheNodeType", s.Group.NodeType);
            x.Element("Engine", "redis");
            x.Element("Port", s.Group.Port);
            x.Element("SnapshotRetentionLimit", SandboxRegion.SnapshotRetention);
            x.Element("AutomaticFailover", s.Group.AutomaticFailover ? "enabled" : "disabled");
            x.Element("ARN", $"arn:aws:elasticache:{r.Name}:123456789012:snapshot:automatic.{s.Group.Id}-{s.At.UtcDateTime:yyyy-MM-dd-HH-mm}");
            x.WriteStartElement("NodeSnapshots");
            x.WriteStartElement("NodeSnapshot");
            x.Element("CacheClusterId", primary.CacheClusterId);
            x.Element("NodeGroupId", "0001");
            x.Element("CacheNodeId", "0001");
            x.Element("SnapshotCreateTime", s.At);
            x.WriteEndElement();
            x.WriteEndElement();
        });
        w.Element("Marker", next);
    }

    private static int PageSize(QueryParameters p)
    {
        var pageSize = p.OptionalInt("MaxRecords") ?? 100;
        if (pageSize is < 20 or > 100) throw AwsFaultException.InvalidParameterValue($"Invalid value {pageSize} for MaxRecords. Must be between 20 and 100");
        return pageSize;
    }

    /// <summary>Every member of every replication group as a cache cluster of one node; with ShowCacheNodeInfo, the node and its endpoint.</summary>
    private static void DescribeCacheClusters(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var id = p.Optional("CacheClusterId");
        var showNodes = p.OptionalBool("ShowCacheNodeInfo") ?? false;
        var members = r.ReplicationGroups.Values.SelectMany(g => g.Members.Select(m => (Group: g, Member: m)))
            .Where(t => id is null || t.Member.CacheClusterId == id).OrderBy(t => t.Member.CacheClusterId, StringComparer.Ordinal).ToList();
        if (id is not null && members.Count == 0) throw new AwsFaultException("CacheClusterNotFound", $"CacheCluster {id} not found.", 404);
        var (page, next) = QueryParameters.Paginate(members, p.Optional("Marker"), PageSize(p));
        w.List("CacheClusters", "CacheCluster", page, (x, t) =>
        {
            x.Element("CacheClusterId", t.Member.CacheClusterId);
            x.Element("CacheNodeType", t.Group.NodeType);
            x.Element("Engine", "redis");
            x.Element("EngineVersion", "7.0.7");
            x.Element("CacheClusterStatus", t.Group.Status);
            x.Element("NumCacheNodes", 1);
            x.Element("PreferredAvailabilityZone", t.Member.AvailabilityZone);
            x.Element("ReplicationGroupId", t.Group.Id);
            x.Element("ARN", r.CacheClusterArn(t.Member.CacheClusterId));
            if (!showNodes) return;
            x.List("CacheNodes", "CacheNode", [t.Member], (y, m) =>
            {
                y.Element("CacheNodeId", "0001");
                y.Element("CacheNodeStatus", t.Group.Status == "available" ? "available" : "modifying");
                WriteEndpoint(y, "Endpoint", $"{m.CacheClusterId}.{t.Group.Id}.sbx001.cache.amazonaws.com", t.Group.Port, m.DataPort);
                y.Element("ParameterGroupStatus", "in-sync");
                y.Element("CustomerAvailabilityZone", m.AvailabilityZone);
            });
        });
        w.Element("Marker", next);
    }

    private static void DescribeEvents(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var source = p.Optional("SourceIdentifier");
        var sourceType = p.Optional("SourceType");
        if (sourceType is not (null or "cache-cluster" or "cache-parameter-group" or "cache-security-group" or "cache-subnet-group" or "replication-group"
            or "serverless-cache" or "serverless-cache-snapshot" or "user" or "user-group"))
            throw AwsFaultException.InvalidParameterValue($"Invalid value '{sourceType}' for SourceType.");
        var (start, end) = p.EventWindow(r.Now);
        var matches = r.CacheEvents
            .Where(e => (source is null || e.SourceIdentifier == source) && (sourceType is null || e.SourceType == sourceType))
            .Where(e => e.Date >= start && e.Date <= end).OrderByDescending(e => e.Date).ToList();
        var (page, next) = QueryParameters.Paginate(matches, p.Optional("Marker"), PageSize(p));
        w.List("Events", "Event", page, (x, e) =>
        {
            x.Element("SourceIdentifier", e.SourceIdentifier);
            x.Element("SourceType", e.SourceType);
            x.Element("Message", e.Message);
            x.Element("Date", e.Date);
        });
        w.Element("Marker", next);
    }

    private static void WriteGroup(XmlWriter w, SandboxRegion r, CacheReplicationGroup group)
    {
        w.WriteStartElement("ReplicationGroup");
        WriteGroupFields(w, r, group);
        w.WriteEndElement();
    }

    /// <summary>With a data plane, its proxy in front of a real server; without, a name like ElastiCache's.</summary>
    private static void WriteEndpoint(XmlWriter w, string element, string address, int port, int? dataPort)
    {
        w.WriteStartElement(element);
        w.Element("Address", dataPort is null ? address : "127.0.0.1");
        w.Element("Port", dataPort ?? port);
        w.WriteEndElement();
    }

    private static void WriteGroupFields(XmlWriter w, SandboxRegion r, CacheReplicationGroup g)
    {
        var domain = $"sbx001.cache.amazonaws.com";
        w.Element("ReplicationGroupId", g.Id);
        w.Element("Description", $"{g.Id} (sandbox)");
        w.Element("Status", g.Status);
        w.WriteStartElement("PendingModifiedValues");
        w.Element("PrimaryClusterId", g.PendingPrimaryClusterId);
        if (g.PendingAutomaticFailover is { } pending) w.Element("AutomaticFailoverStatus", pending ? "enabled" : "disabled");
        w.WriteEndElement();
        w.StringList("MemberClusters", "ClusterId", g.Members.Select(m => m.CacheClusterId));
        w.List("NodeGroups", "NodeGroup", [g], (x, group) =>
        {
            x.Element("NodeGroupId", "0001");
            x.Element("Status", group.Status);
            WriteEndpoint(x, "PrimaryEndpoint", $"master.{group.Id}.{domain}", group.Port, group.PrimaryDataPort);
            WriteEndpoint(x, "ReaderEndpoint", $"replica.{group.Id}.{domain}", group.Port, group.ReaderDataPort);
            x.List("NodeGroupMembers", "NodeGroupMember", group.Members, (y, m) =>
            {
                y.Element("CacheClusterId", m.CacheClusterId);
                y.Element("CacheNodeId", "0001");
                WriteEndpoint(y, "ReadEndpoint", $"{m.CacheClusterId}.{group.Id}.{domain}", group.Port, m.DataPort);
                y.Element("PreferredAvailabilityZone", m.AvailabilityZone);
                y.Element("CurrentRole", m.Primary ? "primary" : "replica");
            });
        });
        w.Element("AutomaticFailover", g.AutomaticFailover ? "enabled" : "disabled");
        w.Element("MultiAZ", g.MultiAz ? "enabled" : "disabled");
        w.Element("ClusterEnabled", false);
        w.Element("CacheNodeType", g.NodeType);
        w.Element("AuthTokenEnabled", false);
        w.Element("TransitEncryptionEnabled", false);
        w.Element("AtRestEncryptionEnabled", true);
        w.Element("ARN", r.ReplicationGroupArn(g.Id));
    }
}
