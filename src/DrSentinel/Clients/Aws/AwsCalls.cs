using System.Collections.Immutable;

namespace DrSentinel.Clients.Aws;

/// <summary>What an AWS call acts on, as IAM sees it: a Describe or List call takes no resource ("*").</summary>
public enum AwsTarget
{
    None,
    AutoScalingGroup,
    DbInstance,
    DbCluster,
    ReplicationGroup,
    /// <summary>ARC zonal shift's resource: IAM bounds it by arc-zonal-shift:ResourceIdentifier, not by a tag.</summary>
    ZonalShiftResource,
}

/// <summary>One IAM action DrSentinel's clients can send, and what it targets.</summary>
public sealed record AwsCall(string Action, AwsTarget Target)
{
    public bool Mutating => Target != AwsTarget.None;
}

/// <summary>
/// Every AWS call DrSentinel's clients can make (src/DrSentinel/Aws), the one list docs/iam-policy.json is checked
/// against: each mutating call allowed only on a resource tagged drsentinel.io/allowed=true (ARC: only on the cluster
/// and its load balancers), each read allowed, and no action in the policy that is not here. IamPolicyTests fails when a
/// client sends an operation this list lacks.
/// </summary>
public static class AwsCalls
{
    public static readonly ImmutableArray<AwsCall> All =
    [
        new("autoscaling:DescribeAutoScalingGroups", AwsTarget.None),
        new("autoscaling:DescribeScalingActivities", AwsTarget.None),
        new("autoscaling:UpdateAutoScalingGroup", AwsTarget.AutoScalingGroup),
        new("autoscaling:SetDesiredCapacity", AwsTarget.AutoScalingGroup),
        new("autoscaling:SuspendProcesses", AwsTarget.AutoScalingGroup),
        new("autoscaling:ResumeProcesses", AwsTarget.AutoScalingGroup),
        new("autoscaling:CreateOrUpdateTags", AwsTarget.AutoScalingGroup),
        new("autoscaling:DeleteTags", AwsTarget.AutoScalingGroup),
        new("ec2:DescribeSubnets", AwsTarget.None),
        new("ec2:DescribeAvailabilityZones", AwsTarget.None),
        new("rds:DescribeDBInstances", AwsTarget.None),
        new("rds:DescribeDBClusters", AwsTarget.None),
        new("rds:DescribeDBSnapshots", AwsTarget.None),
        new("rds:DescribeEvents", AwsTarget.None),
        new("rds:RebootDBInstance", AwsTarget.DbInstance),
        new("rds:PromoteReadReplica", AwsTarget.DbInstance),
        new("rds:FailoverDBCluster", AwsTarget.DbCluster),
        new("rds:AddTagsToResource", AwsTarget.DbInstance),
        new("rds:AddTagsToResource", AwsTarget.DbCluster),
        new("rds:RemoveTagsFromResource", AwsTarget.DbInstance),
        new("rds:RemoveTagsFromResource", AwsTarget.DbCluster),
        new("elasticache:DescribeReplicationGroups", AwsTarget.None),
        new("elasticache:DescribeSnapshots", AwsTarget.None),
        new("elasticache:ListTagsForResource", AwsTarget.None),
        new("elasticache:TestFailover", AwsTarget.ReplicationGroup),
        new("elasticache:ModifyReplicationGroup", AwsTarget.ReplicationGroup),
        new("elasticache:AddTagsToResource", AwsTarget.ReplicationGroup),
        new("elasticache:RemoveTagsFromResource", AwsTarget.ReplicationGroup),
        new("arc-zonal-shift:GetManagedResource", AwsTarget.None),
        new("iam:SimulatePrincipalPolicy", AwsTarget.None),
        new("sts:GetCallerIdentity", AwsTarget.None),
        new("arc-zonal-shift:StartZonalShift", AwsTarget.ZonalShiftResource),
        new("arc-zonal-shift:UpdateZonalShift", AwsTarget.ZonalShiftResource),
        new("arc-zonal-shift:CancelZonalShift", AwsTarget.ZonalShiftResource),
    ];
}
