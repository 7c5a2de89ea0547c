using System.Globalization;
using System.Xml;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Aws;

/// <summary>Amazon RDS, API version 2014-10-31.</summary>
public static class RdsApi
{
    public static readonly QueryService Service = new("rds", "2014-10-31", "http://rds.amazonaws.com/doc/2014-10-31/",
        new Dictionary<string, Operation>(StringComparer.Ordinal)
        {
            ["DescribeDBInstances"] = new(DescribeDbInstances),
            ["DescribeDBClusters"] = new(DescribeDbClusters),
            ["DescribeDBSnapshots"] = new(DescribeDbSnapshots),
            ["RebootDBInstance"] = new((p, r, w) => WriteInstance(w, r, r.RebootDbInstance(p.Required("DBInstanceIdentifier"), p.OptionalBool("ForceFailover") ?? false))),
            ["FailoverDBCluster"] = new((p, r, w) => WriteCluster(w, r, r.FailoverDbCluster(p.Required("DBClusterIdentifier"), p.Optional("TargetDBInstanceIdentifier")), "DBCluster")),
            ["PromoteReadReplica"] = new((p, r, w) => WriteInstance(w, r, r.PromoteReadReplica(p.Required("DBInstanceIdentifier")))),
            ["DescribeEvents"] = new(DescribeEvents),
            ["AddTagsToResource"] = new((p, r, _) => SandboxRegion.AddTags(r.RdsTags(p.Required("ResourceName")), TagParameters.Tags(p)), HasResult: false),
            ["ListTagsForResource"] = new((p, r, w) => w.TagList(r.RdsTags(p.Required("ResourceName")))),
            ["RemoveTagsFromResource"] = new((p, r, _) => SandboxRegion.RemoveTags(r.RdsTags(p.Required("ResourceName")), TagParameters.TagKeys(p), missingKeyIsAnError: false), HasResult: false),
        }) { Errors = ModeledErrors.Rds };

    private static int PageSize(QueryParameters p)
    {
        var max = p.OptionalInt("MaxRecords") ?? 100;
        if (max is < 20 or > 100) throw AwsFaultException.InvalidParameterValue($"Invalid value {max} for MaxRecords. Must be between 20 and 100");
        return max;
    }

    private static Dictionary<string, IReadOnlyList<string>> Filters(QueryParameters p) =>
        p.Structures("Filters", "Filter").ToDictionary(f => f.Required("Name"), f => f.List("Values", "Value"), StringComparer.Ordinal);

    private static void DescribeDbInstances(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var id = p.Optional("DBInstanceIdentifier");
        var filters = Filters(p);
        var unknownFilter = filters.Keys.FirstOrDefault(k => k is not ("db-instance-id" or "db-cluster-id" or "engine"));
        if (unknownFilter is not null) throw AwsFaultException.InvalidParameterValue($"Unrecognized filter name: {unknownFilter}");
        if (id is not null) r.RequireDbInstance(id);
        var matches = r.DbInstances.Values
            .Where(d => id is null || d.Id == id)
            .Where(d => !filters.TryGetValue("db-instance-id", out var v) || v.Contains(d.Id) || v.Contains(r.DbInstanceArn(d.Id)))
            .Where(d => !filters.TryGetValue("db-cluster-id", out var v) || (d.ClusterId is not null && v.Contains(d.ClusterId)))
            .Where(d => !filters.TryGetValue("engine", out var v) || v.Contains(d.Engine))
            .OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
        var (page, next) = QueryParameters.Paginate(matches, p.Optional("Marker"), PageSize(p));
        w.List("DBInstances", "DBInstance", page, (x, d) => WriteInstanceFields(x, r, d));
        w.Element("Marker", next);
    }

    private static void WriteInstance(XmlWriter w, SandboxRegion r, DbInstance db)
    {
        w.WriteStartElement("DBInstance");
        WriteInstanceFields(w, r, db);
        w.WriteEndElement();
    }

    private static void WriteInstanceFields(XmlWriter w, SandboxRegion r, DbInstance d)
    {
        w.Element("DBInstanceIdentifier", d.Id);
        w.Element("DBInstanceClass", d.InstanceClass);
        w.Element("Engine", d.Engine);
        w.Element("DBInstanceStatus", d.Status);
        w.Element("MasterUsername", "postgres");
        w.WriteStartElement("Endpoint");
        // With a data plane the endpoint is its proxy in front of a real server; without, a name like RDS's.
        w.Element("Address", d.DataPort is null ? $"{d.Id}.c9sandbox0001.{r.Name}.rds.amazonaws.com" : "127.0.0.1");
        w.Element("Port", d.DataPort ?? d.Port);
        w.Element("HostedZoneId", "Z1RLNUO7B9Q6NB");
        w.WriteEndElement();
        w.Element("AllocatedStorage", 100);
        w.Element("InstanceCreateTime", d.CreatedAt);
        w.Element("AvailabilityZone", d.AvailabilityZone);
        w.Element("MultiAZ", d.MultiAz);
        w.Element("EngineVersion", d.EngineVersion);
        w.Element("ReadReplicaSourceDBInstanceIdentifier", d.ReplicaSourceId);
        w.StringList("ReadReplicaDBInstanceIdentifiers", "ReadReplicaDBInstanceIdentifier", d.ReplicaIds);
        w.Element("SecondaryAvailabilityZone", d.MultiAz ? d.SecondaryAvailabilityZone : null);
        w.Element("PubliclyAccessible", false);
        w.Element("StorageType", "gp3");
        w.Element("DbInstancePort", 0);
        w.Element("DBClusterIdentifier", d.ClusterId);
        w.Element("StorageEncrypted", true);
        w.Element("DbiResourceId", d.ResourceId);
        w.Element("BackupRetentionPeriod", SandboxRegion.SnapshotRetention);
        if (d.ReplicaSourceId is null) w.Element("LatestRestorableTime", r.LatestRestorableTime);
        w.Element("DBInstanceArn", r.DbInstanceArn(d.Id));
        w.TagList(d.Tags);
    }

    /// <summary>The automated snapshots of each instance that is not a read replica (RDS keeps none for those), oldest first.</summary>
    private static void DescribeDbSnapshots(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var id = p.Optional("DBInstanceIdentifier");
        var type = p.Optional("SnapshotType");
        if (type is not (null or "automated" or "manual" or "shared" or "public" or "awsbackup"))
            throw AwsFaultException.InvalidParameterValue($"Invalid value {type} for SnapshotType");
        if (id is not null) r.RequireDbInstance(id);
        var snapshots = type is null or "automated"
            ? r.DbInstances.Values.Where(d => (id is null || d.Id == id) && d.ReplicaSourceId is null).OrderBy(d => d.Id, StringComparer.Ordinal)
                .SelectMany(d => r.RdsAutomatedSnapshots.Select(at => (Instance: d, At: at))).ToList()
            : [];
        var (page, next) = QueryParameters.Paginate(snapshots, p.Optional("Marker"), PageSize(p));
        w.List("DBSnapshots", "DBSnapshot", page, (x, s) =>
        {
            var name = $"rds:{s.Instance.Id}-{s.At.UtcDateTime:yyyy-MM-dd-HH-mm}";
            x.Element("DBSnapshotIdentifier", name);
            x.Element("DBInstanceIdentifier", s.Instance.Id);
            x.Element("SnapshotCreateTime", s.At);
            x.Element("Engine", s.Instance.Engine);
            x.Element("AllocatedStorage", 100);
            x.Element("Status", "available");
            x.Element("Port", s.Instance.Port);
            x.Element("AvailabilityZone", s.Instance.AvailabilityZone);
            x.Element("InstanceCreateTime", s.Instance.CreatedAt);
            x.Element("MasterUsername", "postgres");
            x.Element("EngineVersion", s.Instance.EngineVersion);
            x.Element("SnapshotType", "automated");
            x.Element("PercentProgress", 100);
            x.Element("Encrypted", true);
            x.Element("DBSnapshotArn", $"arn:aws:rds:{r.Name}:123456789012:snapshot:{name}");
            x.Element("OriginalSnapshotCreateTime", s.At);
        });
        w.Element("Marker", next);
    }

    private static void DescribeDbClusters(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var id = p.Optional("DBClusterIdentifier");
        if (id is not null) r.RequireDbCluster(id);
        var filters = Filters(p);
        var matches = r.DbClusters.Values
            .Where(c => id is null || c.Id == id)
            .Where(c => !filters.TryGetValue("db-cluster-id", out var v) || v.Contains(c.Id))
            .OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        var (page, next) = QueryParameters.Paginate(matches, p.Optional("Marker"), PageSize(p));
        w.List("DBClusters", "DBCluster", page, (x, c) => WriteClusterFields(x, r, c));
        w.Element("Marker", next);
    }

    private static void WriteCluster(XmlWriter w, SandboxRegion r, DbCluster cluster, string element)
    {
        w.WriteStartElement(element);
        WriteClusterFields(w, r, cluster);
        w.WriteEndElement();
    }

    private static void WriteClusterFields(XmlWriter w, SandboxRegion r, DbCluster c)
    {
        w.StringList("AvailabilityZones", "AvailabilityZone", c.Members.Select(m => m.AvailabilityZone).Distinct());
        w.Element("DBClusterIdentifier", c.Id);
        w.Element("Status", c.Status);
        w.Element("Endpoint", $"{c.Id}.cluster-c9sandbox0001.{r.Name}.rds.amazonaws.com");
        w.Element("ReaderEndpoint", $"{c.Id}.cluster-ro-c9sandbox0001.{r.Name}.rds.amazonaws.com");
        w.Element("MultiAZ", c.Members.Select(m => m.AvailabilityZone).Distinct().Count() > 1);
        w.Element("Engine", c.Engine);
        w.Element("Port", 5432);
        w.List("DBClusterMembers", "DBClusterMember", c.Members, (x, m) =>
        {
            x.Element("DBInstanceIdentifier", m.InstanceId);
            x.Element("IsClusterWriter", m.Writer);
            x.Element("DBClusterParameterGroupStatus", "in-sync");
            x.Element("PromotionTier", 1);
        });
        w.Element("DbClusterResourceId", c.ResourceId);
        w.Element("DBClusterArn", r.DbClusterArn(c.Id));
        w.TagList(c.Tags);
    }

    private static void DescribeEvents(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var source = p.Optional("SourceIdentifier");
        var sourceType = p.Optional("SourceType");
        // botocore: "If SourceIdentifier is supplied, SourceType must also be provided." The code is not named.
        if (source is not null && sourceType is null)
            throw AwsFaultException.InvalidParameterCombination("If SourceIdentifier is supplied, SourceType must also be provided.");
        var (start, end) = p.EventWindow(r.Now);
        var matches = r.RdsEvents
            .Where(e => (source is null || e.SourceIdentifier == source) && (sourceType is null || e.SourceType == sourceType))
            .Where(e => e.Date >= start && e.Date <= end).ToList();
        var (page, next) = QueryParameters.Paginate(matches, p.Optional("Marker"), PageSize(p));
        w.List("Events", "Event", page, (x, e) =>
        {
            x.Element("SourceIdentifier", e.SourceIdentifier);
            x.Element("SourceType", e.SourceType);
            x.Element("Message", e.Message);
            x.StringList("EventCategories", "EventCategory", [e.Category]);
            x.Element("Date", e.Date);
            x.Element("SourceArn", e.SourceType == "db-cluster" ? r.DbClusterArn(e.SourceIdentifier) : r.DbInstanceArn(e.SourceIdentifier));
        });
        w.Element("Marker", next);
    }

}
