using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;

namespace DrSentinel.Tests.Planning;

/// <summary>Snapshots for planner tests: three zones, nodes per zone, groups in either layout.</summary>
internal static class Region
{
    public static readonly string[] Zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"];

    public static string Subnet(string zone) => $"subnet-{zone[^1]}";

    /// <summary>One group per zone (the EKS managed node group layout), each with <paramref name="desired"/> nodes.</summary>
    public static InventorySnapshot PerZone(int desired = 3, int max = 10, string? downZone = null, bool autoscaler = false) =>
        Build(Zones.Select(z => Group($"ng-{z[^1]}", [z], desired, max, autoscaler: autoscaler)).ToArray(), downZone);

    /// <summary>One group across the three zones with <paramref name="perZone"/> nodes in each.</summary>
    public static InventorySnapshot Spanning(int perZone = 3, int max = 20, string? downZone = null, bool autoscaler = false) =>
        Build([Group("ng-all", Zones, perZone * 3, max, autoscaler: autoscaler)], downZone);

    public static ScalingGroupState Group(string name, string[] zones, int desired, int max, int min = 0, bool autoscaler = false,
        ImmutableDictionary<string, string>? tags = null)
    {
        var perZone = desired / zones.Length;
        var instances = zones.SelectMany(z => Enumerable.Range(0, perZone).Select(i => new ScalingInstanceState($"i-{name}-{z[^1]}{i}", z, "InService", true)));
        var allTags = tags ?? ImmutableDictionary<string, string>.Empty;
        if (autoscaler) allTags = allTags.SetItem(LedgerKeys.AutoscalerEnabled, "true");
        return new ScalingGroupState(name, name, min, max, desired, [.. zones], [.. instances], [])
        {
            Subnets = [.. zones.Select(z => new SubnetPlacement(Subnet(z), z))],
            Tags = allTags,
        };
    }

    /// <summary>Nodes for every group instance, Ready except in <paramref name="downZone"/>; zone verdicts computed as the store does.</summary>
    public static InventorySnapshot Build(ScalingGroupState[] groups, string? downZone = null, IEnumerable<NodeState>? extraNodes = null)
    {
        var nodes = groups.SelectMany(g => g.Instances.Select(i => new NodeState($"node-{i.InstanceId}", i.Zone, g.NodeGroup,
            i.Zone == downZone ? "Unknown" : "True", false, "1"))).Concat(extraNodes ?? []);
        return WithNodes(new InventorySnapshot { ScalingGroups = [.. groups] }, nodes);
    }

    public static InventorySnapshot WithNodes(InventorySnapshot snapshot, IEnumerable<NodeState> nodes)
    {
        var next = snapshot with { Nodes = new NodeInventory(nodes.ToImmutableDictionary(n => n.Name, StringComparer.Ordinal)) };
        return next with { Zones = ZoneHealth.Assess(next, 0.9, 0.5) };
    }

    public static InventorySnapshot MapNodes(InventorySnapshot snapshot, Func<NodeState, NodeState> change) =>
        WithNodes(snapshot, snapshot.Nodes.ByName.Values.Select(change));

    public static InventorySnapshot MapGroups(InventorySnapshot snapshot, Func<ScalingGroupState, ScalingGroupState> change) =>
        WithNodes(snapshot with { ScalingGroups = [.. snapshot.ScalingGroups.Select(change)] }, snapshot.Nodes.ByName.Values);

    public static ActionPolicy Allow(params string[] groups) => new() { AllowedNodeGroups = [.. groups] };

    public static ActionPolicy AllowAll(InventorySnapshot snapshot) => new() { AllowedNodeGroups = [.. snapshot.ScalingGroups.Select(g => g.Name)] };

    /// <summary>What the executor would leave behind: every step of the plan applied to the snapshot.</summary>
    public static InventorySnapshot Apply(InventorySnapshot snapshot, Plan plan)
    {
        foreach (var step in plan.Steps)
        {
            snapshot = step switch
            {
                RecordGroupLedger r => MapGroups(snapshot, g => g.Name != r.Group ? g : g with
                {
                    Tags = g.Tags.SetItem(LedgerKeys.EvacuatedZone, r.Zone).SetItem(LedgerKeys.Original, r.Original.Format()).SetItem(LedgerKeys.Applied, r.Applied.Format()),
                }),
                UpdateGroupLedger l => MapGroups(snapshot, g => g.Name != l.Group ? g : g with { Tags = g.Tags.SetItem(LedgerKeys.Applied, l.Applied.Format()) }),
                SuspendProcesses s => MapGroups(snapshot, g => g.Name != s.Group ? g : g with { SuspendedProcesses = [.. g.SuspendedProcesses.Union(s.Processes)] }),
                ResumeProcesses s => MapGroups(snapshot, g => g.Name != s.Group ? g : g with { SuspendedProcesses = [.. g.SuspendedProcesses.Except(s.Processes)] }),
                UpdateGroup u => MapGroups(snapshot, g => g.Name != u.Group ? g : g with
                {
                    MinSize = u.To.MinSize, DesiredCapacity = u.To.DesiredCapacity,
                    Subnets = [.. u.To.Subnets.Select(s => new SubnetPlacement(s, Zones.Single(z => Subnet(z) == s)))],
                }),
                ClearGroupLedger c => MapGroups(snapshot, g => g.Name != c.Group ? g : g with { Tags = g.Tags.RemoveRange([LedgerKeys.EvacuatedZone, LedgerKeys.Original, LedgerKeys.Applied]) }),
                CordonNodes c => MapNodes(snapshot, n => c.Nodes.Contains(n.Name) ? n with { Unschedulable = true, CordonedFor = c.Zone } : n),
                UncordonNodes u => MapNodes(snapshot, n => u.Uncordon.Contains(n.Name) ? n with { Unschedulable = false, CordonedFor = null }
                    : u.ForgetOnly.Contains(n.Name) ? n with { CordonedFor = null } : n),
                StartZonalShift z => MapShifts(snapshot, z.Arn, r => r with
                {
                    AppliedWeights = r.AppliedWeights.SetItem(z.Zone, 0),
                    Shifts = r.Shifts.Add(new ActiveZonalShift($"shift-{z.Name}", z.Zone, z.Comment, DateTimeOffset.UnixEpoch + TimeSpan.FromHours(1), Applied: true)),
                }),
                CancelZonalShift z => MapShifts(snapshot, z.Arn, r => r with
                {
                    AppliedWeights = r.AppliedWeights.SetItem(z.Zone, 1),
                    Shifts = r.Shifts.RemoveAll(s => s.Id == z.ShiftId),
                }),
                _ => throw new InvalidOperationException(step.ToString()),
            };
        }
        return snapshot;
    }

    public const string ClusterArn = "arn:aws:eks:eu-central-1:123456789012:cluster/pyairtable";
    public const string LoadBalancerArn = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/net/pyairtable-ingress/0f1e2d3c4b5a6978";

    /// <summary>The EKS cluster and its ingress load balancer registered with zonal shift, traffic in every zone.</summary>
    public static InventorySnapshot WithZonalShiftResources(InventorySnapshot snapshot) => snapshot with
    {
        ZonalShiftResources =
        [
            new(ClusterArn, "pyairtable", Zones.ToImmutableSortedDictionary(z => z, _ => 1.0, StringComparer.Ordinal), []),
            new(LoadBalancerArn, "pyairtable-ingress", Zones.ToImmutableSortedDictionary(z => z, _ => 1.0, StringComparer.Ordinal), []),
        ],
    };

    public static InventorySnapshot MapShifts(InventorySnapshot snapshot, string arn, Func<ZonalShiftResourceState, ZonalShiftResourceState> change) =>
        snapshot with { ZonalShiftResources = [.. snapshot.ZonalShiftResources.Select(r => r.Arn == arn ? change(r) : r)] };

    public static InventorySnapshot Recover(InventorySnapshot snapshot) => MapNodes(snapshot, n => n with { ReadyStatus = "True" });
}
