using DrSentinel.Planning;

namespace DrSentinel.Playbooks.RdsFailover;

/// <summary>
/// RebootDBInstance with ForceFailover: the Multi-AZ standby in <see cref="ToZone"/> becomes the primary. The ledger tag
/// (<see cref="FailoverLedger"/>) is written first, so a restart finds the failover and never sends a second one.
/// </summary>
public sealed record FailoverDbInstance(string DbInstance, string Arn, string FromZone, string ToZone, string Episode) : PlanStep(DbInstance)
{
    public override string Action => "rds-force-failover";
    public override string Kind => "DBInstance";
    public override string Describe() => $"fail {DbInstance} over from {FromZone} to its standby in {ToZone} (RebootDBInstance, ForceFailover)";
}

/// <summary>
/// FailoverDBCluster: the Multi-AZ DB cluster's writer moves to <see cref="Target"/>, a reader in a healthy zone. The ledger
/// tag goes on the writer instance <see cref="Writer"/> (the one the alert names).
/// </summary>
public sealed record FailoverDbCluster(string Cluster, string Writer, string WriterArn, string FromZone, string Target, string Episode) : PlanStep(Cluster)
{
    public override string Action => "rds-cluster-failover";
    public override string Kind => "DBCluster";
    public override string Describe() => $"fail DB cluster {Cluster} over from {Writer} in {FromZone} to {Target} (FailoverDBCluster)";
}

/// <summary>
/// PromoteReadReplica: <see cref="Replica"/>, in a healthy zone, becomes a standalone primary because its source
/// <see cref="Source"/> and the source's Multi-AZ partner are lost. Ends replication for good; the application must be
/// pointed at the replica's own endpoint. <see cref="LossBound"/>: the age of its newest replayed write when planned.
/// </summary>
public sealed record PromoteReadReplica(string Replica, string Arn, string Source, string FromZone, string ReplicaZone, TimeSpan LossBound, string Episode)
    : PlanStep(Replica)
{
    public override string Action => "rds-promote-read-replica";
    public override string Kind => "DBInstance";
    public override string Describe() =>
        $"promote read replica {Replica} in {ReplicaZone} to a standalone primary (PromoteReadReplica): {Source} in {FromZone} is lost with its standby; up to {LossBound.TotalSeconds:F0} s of writes are lost";
}
