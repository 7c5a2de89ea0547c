namespace DrSentinel.Sandbox.Region;

// RDS: Multi-AZ instances, read replicas, Multi-AZ DB clusters, and their failovers.
public sealed partial class SandboxRegion
{
    private void SeedDatabases()
    {
        foreach (var spec in Topology.DbInstances)
            DbInstances[spec.Id] = new DbInstance
            {
                Id = spec.Id,
                Engine = spec.Engine,
                EngineVersion = spec.EngineVersion,
                InstanceClass = spec.InstanceClass,
                Port = spec.Port,
                ResourceId = "db-" + NewId("", 26).ToUpperInvariant(),
                CreatedAt = Now,
                AvailabilityZone = spec.AvailabilityZone,
                SecondaryAvailabilityZone = spec.MultiAz ? spec.SecondaryAvailabilityZone : null,
                MultiAz = spec.MultiAz,
                ReplicaSourceId = spec.ReplicaSourceId,
            };
        foreach (var spec in Topology.DbInstances)
            foreach (var (key, value) in spec.Tags) DbInstances[spec.Id].Tags[key] = value;
        foreach (var db in DbInstances.Values.Where(d => d.ReplicaSourceId is not null))
            DbInstances[db.ReplicaSourceId!].ReplicaIds.Add(db.Id);
        foreach (var spec in Topology.DbClusters)
        {
            var cluster = new DbCluster { Id = spec.Id, Engine = spec.Engine, ResourceId = "cluster-" + NewId("", 26).ToUpperInvariant() };
            foreach (var member in spec.Members)
            {
                cluster.Members.Add(new DbClusterMember(member.InstanceId, member.AvailabilityZone, member.Writer));
                DbInstances[member.InstanceId] = new DbInstance
                {
                    Id = member.InstanceId,
                    Engine = spec.Engine,
                    EngineVersion = "15.8",
                    InstanceClass = "db.m6gd.large",
                    Port = 5432,
                    ResourceId = "db-" + NewId("", 26).ToUpperInvariant(),
                    CreatedAt = Now,
                    AvailabilityZone = member.AvailabilityZone,
                    ClusterId = spec.Id,
                };
            }
            foreach (var (key, value) in spec.Tags)
            {
                // Tagged, the cluster and its members: FailoverDBCluster is judged on both (docs/iam-policy.json).
                cluster.Tags[key] = value;
                foreach (var member in spec.Members) DbInstances[member.InstanceId].Tags[key] = value;
            }
            DbClusters[spec.Id] = cluster;
        }
    }

    internal DbInstance RequireDbInstance(string id) =>
        DbInstances.GetValueOrDefault(id) ?? throw new AwsFaultException("DBInstanceNotFound", $"DBInstance {id} not found.", 404);

    internal DbCluster RequireDbCluster(string id) =>
        DbClusters.GetValueOrDefault(id) ?? throw new AwsFaultException("DBClusterNotFoundFault", $"DBCluster {id} not found.", 404);

    public DbInstance RebootDbInstance(string id, bool forceFailover)
    {
        var db = RequireDbInstance(id);
        if (db.Status != "available")
            throw new AwsFaultException("InvalidDBInstanceState", $"Instance {id} cannot be rebooted because it is in state {db.Status}.");
        if (forceFailover && !db.MultiAz)
            throw AwsFaultException.InvalidParameterCombination("Cannot force failover of a DB instance that is not Multi-AZ.");
        if (db.ClusterId is not null)
            throw AwsFaultException.InvalidParameterCombination($"Instance {id} belongs to DB cluster {db.ClusterId}; use FailoverDBCluster.");
        AddEvent(db.Id, "DB instance restarted", "availability");
        if (forceFailover)
        {
            StartInstanceFailover(db);
        }
        else
        {
            db.Status = "rebooting";
            After(Between(10, 30), () => db.Status = "available");
        }
        return db;
    }

    private void StartInstanceFailover(DbInstance db)
    {
        db.Status = "rebooting";
        AddEvent(db.Id, "Multi-AZ instance failover started.", "failover");
        After(Between(60, 120), () => CompleteInstanceFailover(db));
    }

    /// <summary>
    /// The standby becomes the primary (the two zones swap), unless the standby's zone has lost power by then: RDS
    /// cannot promote a standby it cannot reach, so the instance comes back where it was. A gray failure is invisible
    /// to RDS, which fails over into such a zone all the same.
    /// </summary>
    private void CompleteInstanceFailover(DbInstance db)
    {
        db.Status = "available";
        if (db.SecondaryAvailabilityZone is not { } standby) return;
        if (!Zones[standby].PoweredOn)
        {
            AddEvent(db.Id, $"Multi-AZ instance failover did not complete: the standby in {standby} is unavailable. The instance stays in {db.AvailabilityZone}.", "failover");
            return;
        }
        (db.AvailabilityZone, db.SecondaryAvailabilityZone) = (standby, db.AvailabilityZone);
        AddEvent(db.Id, "Multi-AZ instance failover completed.", "failover");
    }

    public DbCluster FailoverDbCluster(string clusterId, string? targetInstanceId)
    {
        var cluster = RequireDbCluster(clusterId);
        if (cluster.Status != "available")
            throw new AwsFaultException("InvalidDBClusterStateFault", $"DB cluster {clusterId} is in state {cluster.Status}.");
        var writer = cluster.Members.Single(m => m.Writer);
        DbClusterMember target;
        if (targetInstanceId is null)
        {
            target = cluster.Members.Where(m => !m.Writer).OrderBy(m => Zones[m.AvailabilityZone].PoweredOn ? 0 : 1).FirstOrDefault()
                ?? throw new AwsFaultException("InvalidDBClusterStateFault", $"DB cluster {clusterId} has no reader to fail over to.");
        }
        else
        {
            target = cluster.Members.FirstOrDefault(m => m.InstanceId == targetInstanceId)
                ?? throw AwsFaultException.InvalidParameterValue($"{targetInstanceId} is not a member of DB cluster {clusterId}.");
            if (target.Writer) throw AwsFaultException.InvalidParameterValue($"{targetInstanceId} is already the writer of DB cluster {clusterId}.");
        }
        cluster.Status = "failing-over";
        AddEvent(clusterId, $"Started cross AZ failover to DB instance: {target.InstanceId}", "failover", "db-cluster");
        After(Between(15, 35), () =>
        {
            writer.Writer = false;
            target.Writer = true;
            cluster.Status = "available";
            AddEvent(clusterId, $"Completed failover to DB instance: {target.InstanceId}", "failover", "db-cluster");
        });
        return cluster;
    }

    public DbInstance PromoteReadReplica(string id)
    {
        var db = RequireDbInstance(id);
        if (db.ReplicaSourceId is null)
            throw new AwsFaultException("InvalidDBInstanceState", $"DB instance {id} is not a read replica.");
        if (db.Status != "available")
            throw new AwsFaultException("InvalidDBInstanceState", $"DB instance {id} is in state {db.Status}; it must be available to promote.");
        db.Status = "modifying";
        AddEvent(id, "Promoting Read Replica.", "read replica");
        After(Between(60, 180), () =>
        {
            if (DbInstances.GetValueOrDefault(db.ReplicaSourceId!) is { } source) source.ReplicaIds.Remove(id);
            db.ReplicaSourceId = null;
            db.Status = "available";
            AddEvent(id, "Completed promotion of Read Replica.", "read replica");
        });
        return db;
    }

    private void AddEvent(string source, string message, string category, string sourceType = "db-instance") =>
        RdsEvents.Add(new RdsEvent(source, sourceType, message, category, Now));

    /// <summary>
    /// What RDS does by itself when a zone loses power: Multi-AZ primaries there fail over to their standby, unless
    /// the standby's zone is down too; such an instance stays where it is.
    /// </summary>
    /// <summary>
    /// AWS's own failover of one Multi-AZ instance, now (as its host monitoring would start it), for a test that races it
    /// with DrSentinel's: started only where AWS would start one — the instance available, its standby's zone powered.
    /// </summary>
    public bool AwsFailsOver(string instanceId)
    {
        if (!DbInstances.TryGetValue(instanceId, out var db)) throw new KeyNotFoundException($"no DB instance {instanceId}");
        if (!db.MultiAz || db.Status != "available" || db.SecondaryAvailabilityZone is not { } standby || !Zones[standby].PoweredOn) return false;
        StartInstanceFailover(db);
        return true;
    }

    private void FailOverDatabasesOutOf(string zone)
    {
        foreach (var db in DbInstances.Values.Where(d => d.MultiAz && d.AvailabilityZone == zone && d.Status == "available"
                                                         && d.SecondaryAvailabilityZone is { } standby && Zones[standby].PoweredOn))
            StartInstanceFailover(db);
        foreach (var cluster in DbClusters.Values.Where(c => c.Status == "available" && c.Members.Single(m => m.Writer).AvailabilityZone == zone))
        {
            var target = cluster.Members.FirstOrDefault(m => !m.Writer && Zones[m.AvailabilityZone].PoweredOn);
            if (target is not null) FailoverDbCluster(cluster.Id, target.InstanceId);
        }
    }
}
