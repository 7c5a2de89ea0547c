namespace DrSentinel.Sandbox.Region;

// EC2 Auto Scaling and the instances that join the cluster as Nodes.
public sealed partial class SandboxRegion
{
    private static readonly TimeSpan InstanceBoot = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan InstanceShutdown = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LaunchRetry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LaunchRetryAtMost = TimeSpan.FromMinutes(5);
    private static readonly string[] KnownProcesses =
        ["Launch", "Terminate", "AddToLoadBalancer", "AlarmNotification", "AZRebalance", "HealthCheck", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"];
    private int _nodeCounter;

    private void SeedScalingGroups()
    {
        foreach (var spec in Topology.NodeGroups)
        {
            var layouts = spec.AutoScalingGroupPerAz
                ? spec.Subnets.Select(s => (Suffix: SubnetZones[s] + "-", Subnets: new List<string> { s })).ToList()
                : [("", spec.Subnets.ToList())];
            foreach (var (suffix, subnets) in layouts)
            {
                var share = layouts.Count == 1 ? 1.0 : 1.0 / layouts.Count;
                var name = $"eks-{spec.Name}-{suffix}{NewId("", 8)}-{NewId("", 4)}";
                var group = new ScalingGroup
                {
                    Name = name,
                    Arn = $"arn:aws:autoscaling:{Name}:{Topology.AccountId}:autoScalingGroup:{Guid.NewGuid()}:autoScalingGroupName/{name}",
                    NodeGroup = spec.Name,
                    InstanceTypes = spec.InstanceTypes,
                    Taints = spec.Taints,
                    SubnetIds = subnets,
                    MinSize = (int)Math.Ceiling(spec.MinSize * share),
                    MaxSize = (int)Math.Ceiling(spec.MaxSize * share),
                    DesiredCapacity = (int)Math.Ceiling(spec.DesiredSize * share),
                    CreatedTime = Now,
                };
                var cluster = Topology.ClusterName;
                group.Tags["eks:cluster-name"] = (cluster, true);
                group.Tags["eks:nodegroup-name"] = (spec.Name, true);
                group.Tags[$"kubernetes.io/cluster/{cluster}"] = ("owned", true);
                group.Tags["k8s.io/cluster-autoscaler/enabled"] = ("true", true);
                group.Tags[$"k8s.io/cluster-autoscaler/{cluster}"] = ("owned", true);
                foreach (var (key, value) in spec.Tags) group.Tags[key] = (value, false);
                ScalingGroups[name] = group;
                for (var i = 0; i < group.DesiredCapacity; i++)
                    StartInstance(group, ZoneForLaunch(group)!, booted: true);
            }
        }
    }

    internal IEnumerable<string> GroupZones(ScalingGroup group) => group.SubnetIds.Select(s => SubnetZones[s]).Distinct();

    internal IEnumerable<Ec2Instance> LiveInstances(ScalingGroup group) =>
        Instances.Values.Where(i => i.GroupName == group.Name && i.Lifecycle is InstanceLifecycle.Pending or InstanceLifecycle.InService);

    public void SetDesiredCapacity(string groupName, int desired)
    {
        var group = RequireGroup(groupName);
        if (desired > group.MaxSize)
            throw AwsFaultException.Validation($"New SetDesiredCapacity value {desired} is above max value {group.MaxSize} for the AutoScalingGroup.");
        if (desired < group.MinSize)
            throw AwsFaultException.Validation($"New SetDesiredCapacity value {desired} is below min value {group.MinSize} for the AutoScalingGroup.");
        var cause = $"a user request explicitly set group desired capacity changing the desired capacity from {group.DesiredCapacity} to {desired}";
        group.DesiredCapacity = desired;
        Reconcile(group, cause);
    }

    public void UpdateScalingGroup(string groupName, int? minSize, int? maxSize, int? desired, string? vpcZoneIdentifier)
    {
        var group = RequireGroup(groupName);
        var min = minSize ?? group.MinSize;
        var max = maxSize ?? group.MaxSize;
        if (min < 0 || max < 0) throw AwsFaultException.Validation("MinSize and MaxSize must not be negative.");
        if (min > max) throw AwsFaultException.Validation($"Max bound, {max}, must be greater than or equal to min bound, {min}");
        var newDesired = desired ?? Math.Clamp(group.DesiredCapacity, min, max);
        if (newDesired < min || newDesired > max)
            throw AwsFaultException.Validation($"Desired capacity:{newDesired} must be between the specified min size:{min} and max size:{max}");
        List<string>? subnets = null;
        if (vpcZoneIdentifier is not null)
        {
            subnets = vpcZoneIdentifier.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            var unknown = subnets.FirstOrDefault(s => !SubnetZones.ContainsKey(s));
            if (subnets.Count == 0 || unknown is not null)
                throw AwsFaultException.Validation($"The subnet ID '{unknown}' does not exist");
        }
        var cause = $"a user request update of AutoScalingGroup constraints to min: {min}, max: {max}, desired: {newDesired} changing the desired capacity from {group.DesiredCapacity} to {newDesired}";
        (group.MinSize, group.MaxSize, group.DesiredCapacity) = (min, max, newDesired);
        if (subnets is not null) group.SubnetIds = subnets;
        Reconcile(group, cause);
        if (subnets is not null) Rebalance(group);
    }

    /// <summary>
    /// The EC2 Auto Scaling user guide: rebalancing follows "You change the Availability Zones associated with your Auto
    /// Scaling group", and "launches new instances before terminating the earlier ones". Unless AZRebalance is suspended,
    /// each instance left in a zone the group no longer has is replaced in one it has; with it suspended, nothing moves.
    /// </summary>
    private void Rebalance(ScalingGroup group)
    {
        if (group.SuspendedProcesses.ContainsKey("AZRebalance")) return;
        var zones = GroupZones(group).ToHashSet(StringComparer.Ordinal);
        const string cause = "an instance was started in response to an Availability Zone rebalancing of the group";
        foreach (var old in LiveInstances(group).Where(i => !zones.Contains(i.AvailabilityZone) && i.Lifecycle != InstanceLifecycle.Terminating).ToList())
        {
            if (LaunchZones(group).FirstOrDefault(z => group.InstanceTypes.Any(Zones[z].CanLaunch)) is not { } zone) return;
            var replacement = StartInstance(group, zone, booted: false);
            var launch = Record(group, $"Launching a new EC2 instance: {replacement.Id}", cause, "InProgress");
            After(InstanceBoot, () =>
            {
                Complete(launch);
                if (old.Lifecycle is InstanceLifecycle.Terminating or InstanceLifecycle.Terminated) return;
                StopInstance(old);
                var stop = Record(group, $"Terminating EC2 instance: {old.Id}", "an instance was taken out of service in response to an Availability Zone rebalancing of the group", "InProgress");
                After(InstanceShutdown, () => Complete(stop));
            });
        }
    }

    public void SetTags(IEnumerable<(string GroupName, string Key, string Value, bool PropagateAtLaunch)> tags)
    {
        var list = tags.ToList();
        foreach (var tag in list) RequireGroup(tag.GroupName);
        foreach (var tag in list) ScalingGroups[tag.GroupName].Tags[tag.Key] = (tag.Value, tag.PropagateAtLaunch);
    }

    public void DeleteTags(IEnumerable<(string GroupName, string Key)> tags)
    {
        var list = tags.ToList();
        foreach (var tag in list) RequireGroup(tag.GroupName);
        foreach (var tag in list) ScalingGroups[tag.GroupName].Tags.Remove(tag.Key);
    }

    public void SuspendProcesses(string groupName, IReadOnlyList<string> processes)
    {
        var group = RequireGroup(groupName);
        foreach (var process in ValidProcesses(processes))
            group.SuspendedProcesses[process] = "User suspended at " + Now.ToString("yyyy-MM-ddTHH:mm:ssZ");
    }

    public void ResumeProcesses(string groupName, IReadOnlyList<string> processes)
    {
        var group = RequireGroup(groupName);
        foreach (var process in ValidProcesses(processes)) group.SuspendedProcesses.Remove(process);
        Reconcile(group, "a user request resumed processes");
    }

    private static IEnumerable<string> ValidProcesses(IReadOnlyList<string> processes)
    {
        var unknown = processes.FirstOrDefault(p => !KnownProcesses.Contains(p));
        if (unknown is not null) throw AwsFaultException.Validation($"Process '{unknown}' is not a valid scaling process.");
        return processes.Count == 0 ? KnownProcesses : processes;
    }

    internal ScalingGroup RequireGroup(string name) =>
        ScalingGroups.GetValueOrDefault(name) ?? throw AwsFaultException.Validation($"AutoScalingGroup name not found - AutoScalingGroup {name} not found");

    private void Reconcile(ScalingGroup group, string cause)
    {
        var live = LiveInstances(group).ToList();
        if (live.Count < group.DesiredCapacity && !group.SuspendedProcesses.ContainsKey("Launch"))
        {
            for (var i = live.Count; i < group.DesiredCapacity; i++)
            {
                var zones = LaunchZones(group);
                if (zones.Count == 0)
                {
                    Record(group, "Launching a new EC2 instance.  Status Reason: no Availability Zone of the group can launch instances", cause, "Failed");
                    break;
                }
                // EC2 Auto Scaling tries the group's other zones when one has no capacity; each refusal is a failed activity.
                var placed = false;
                foreach (var zone in zones)
                {
                    if (group.InstanceTypes.FirstOrDefault(Zones[zone].CanLaunch) is not { } type)
                    {
                        RecordNoCapacity(group, zone, cause);
                        continue;
                    }
                    var instance = StartInstance(group, zone, booted: false, group.InstanceTypes.All(Zones[zone].CanLaunch) ? null : type);
                    group.LaunchFailuresInARow = 0;
                    var activity = Record(group, $"Launching a new EC2 instance: {instance.Id}", cause, "InProgress");
                    After(InstanceBoot, () => Complete(activity));
                    placed = true;
                    break;
                }
                if (placed) continue;
                RetryLaunchLater(group);
                break;
            }
        }
        else if (live.Count > group.DesiredCapacity && !group.SuspendedProcesses.ContainsKey("Terminate"))
        {
            for (var i = group.DesiredCapacity; i < live.Count; i++)
            {
                // AWS terminates from the zone with the most instances; unhealthy ones go first.
                var zones = GroupZones(group).ToHashSet(StringComparer.Ordinal);
                var victim = LiveInstances(group).Where(x => x.Lifecycle != InstanceLifecycle.Terminating)
                    .OrderBy(x => zones.Contains(x.AvailabilityZone)).ThenBy(x => x.Healthy)
                    .ThenByDescending(x => LiveInstances(group).Count(y => y.AvailabilityZone == x.AvailabilityZone))
                    .ThenBy(x => x.Id, StringComparer.Ordinal).First();
                StopInstance(victim);
                var activity = Record(group, $"Terminating EC2 instance: {victim.Id}", cause, "InProgress");
                After(InstanceShutdown, () => Complete(activity));
            }
        }
    }

    private void Complete(ScalingActivity activity)
    {
        activity.StatusCode = "Successful";
        activity.Progress = 100;
        activity.EndTime = Now;
    }

    private ScalingActivity Record(ScalingGroup group, string description, string cause, string status)
    {
        var activity = new ScalingActivity(Guid.NewGuid().ToString(), group.Name, description,
            $"At {Now:yyyy-MM-ddTHH:mm:ssZ} {cause}.", Now) { StatusCode = status };
        if (status != "InProgress") (activity.Progress, activity.EndTime) = (100, Now);
        group.Activities.Add(activity);
        return activity;
    }

    /// <summary>The powered zone of the group with the fewest live instances (AWS balances across zones).</summary>
    private string? ZoneForLaunch(ScalingGroup group) => LaunchZones(group).FirstOrDefault();

    /// <summary>The group's powered zones, the one with the fewest live instances first (AWS balances across zones).</summary>
    private List<string> LaunchZones(ScalingGroup group)
    {
        var live = LiveInstances(group).ToList();
        return GroupZones(group).Where(z => Zones[z].PoweredOn)
            .OrderBy(z => live.Count(i => i.AvailabilityZone == z)).ThenBy(z => z, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// EC2's InsufficientInstanceCapacity as Auto Scaling records it: a Failed activity whose StatusMessage is EC2's own
    /// sentence (the zones it names as having capacity are the region's others that have it).
    /// </summary>
    private void RecordNoCapacity(ScalingGroup group, string zone, string cause)
    {
        var type = group.InstanceTypes[0];
        var elsewhere = Zones.Values.Where(z => z.Name != zone && z.CanLaunch(type)).Select(z => z.Name).Order(StringComparer.Ordinal).ToList();
        var message = $"We currently do not have sufficient {type} capacity in the Availability Zone you requested ({zone}). Our system will be working on provisioning additional capacity. "
            + (elsewhere.Count > 0 ? $"You can currently get {type} capacity by not specifying an Availability Zone in your request or choosing {string.Join(", ", elsewhere)}. " : "")
            + "Launching EC2 instance failed.";
        var activity = new ScalingActivity(Guid.NewGuid().ToString(), group.Name, $"Launching a new EC2 instance.  Status Reason: {message}",
            $"At {Now:yyyy-MM-ddTHH:mm:ssZ} {cause}.", Now)
        {
            // The model bounds StatusMessage at 255 characters; the Description carries EC2's whole sentence.
            StatusCode = "Failed", Progress = 100, EndTime = Now, StatusMessage = message.Length <= 255 ? message : message[..255],
            AvailabilityZone = zone, SubnetId = group.SubnetIds.FirstOrDefault(s => SubnetZones[s] == zone),
        };
        group.Activities.Add(activity);
    }

    /// <summary>
    /// Auto Scaling keeps trying to reach the desired capacity: again after <see cref="LaunchRetry"/>, doubling with each
    /// failure in a row up to <see cref="LaunchRetryAtMost"/>.
    /// </summary>
    private void RetryLaunchLater(ScalingGroup group)
    {
        if (group.LaunchRetryPending) return;
        group.LaunchRetryPending = true;
        var wait = TimeSpan.FromTicks(Math.Min(LaunchRetryAtMost.Ticks, LaunchRetry.Ticks << Math.Min(group.LaunchFailuresInARow++, 10)));
        After(wait, () =>
        {
            group.LaunchRetryPending = false;
            if (ScalingGroups.ContainsKey(group.Name))
                Reconcile(group, $"an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {LiveInstances(group).Count()} to {group.DesiredCapacity}");
        });
    }

    /// <summary>EC2 has no capacity for <paramref name="instanceType"/> (null: any type) in the zone until <see cref="RestoreCapacity"/>.</summary>
    public void ExhaustCapacity(string zoneName, string? instanceType)
    {
        var zone = RequireZone(zoneName);
        if (instanceType is null) zone.NoCapacityForAnyType = true;
        else zone.NoCapacityFor.Add(instanceType);
    }

    public void RestoreCapacity(string zoneName)
    {
        var zone = RequireZone(zoneName);
        zone.NoCapacityForAnyType = false;
        zone.NoCapacityFor.Clear();
        foreach (var group in ScalingGroups.Values.Where(g => GroupZones(g).Contains(zoneName)))
            Reconcile(group, "an instance was started in response to a difference between desired and actual capacity");
    }

    private Ec2Instance StartInstance(ScalingGroup group, string zone, bool booted, string? instanceType = null)
    {
        var n = ++_nodeCounter;
        var instance = new Ec2Instance
        {
            Id = NewId("i-"),
            GroupName = group.Name,
            AvailabilityZone = zone,
            InstanceType = instanceType ?? group.InstanceTypes[n % group.InstanceTypes.Count],
            NodeName = $"ip-10-{(n >> 16) & 255}-{(n >> 8) & 255}-{n & 255}.{Name}.compute.internal",
            Lifecycle = InstanceLifecycle.Pending,
        };
        Instances[instance.Id] = instance;
        if (booted) JoinCluster(instance);
        else After(InstanceBoot, () => JoinCluster(instance));
        return instance;
    }

    private void JoinCluster(Ec2Instance instance)
    {
        if (instance.Lifecycle != InstanceLifecycle.Pending) return;
        instance.Lifecycle = InstanceLifecycle.InService;
        var group = ScalingGroups[instance.GroupName];
        var ready = Zones[instance.AvailabilityZone].PoweredOn;
        Cluster.Add(new ClusterNode
        {
            Name = instance.NodeName,
            Uid = Guid.NewGuid().ToString(),
            InstanceId = instance.Id,
            AvailabilityZone = instance.AvailabilityZone,
            NodeGroup = group.NodeGroup,
            InstanceType = instance.InstanceType,
            Taints = group.Taints,
            CreatedAt = Now,
            Ready = ready,
            ReadySince = Now,
        });
    }

    private void StopInstance(Ec2Instance instance)
    {
        instance.Lifecycle = InstanceLifecycle.Terminating;
        After(InstanceShutdown, () =>
        {
            instance.Lifecycle = InstanceLifecycle.Terminated;
            if (Cluster.Find(instance.NodeName) is { } node) Cluster.Remove(node);
            Instances.Remove(instance.Id);
        });
    }
}
