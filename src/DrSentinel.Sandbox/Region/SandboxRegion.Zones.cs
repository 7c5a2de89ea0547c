using DrSentinel.Sandbox.DataPlane;

namespace DrSentinel.Sandbox.Region;

// Availability-zone failures, after AWS's and Kubernetes' documented behaviour.
public sealed partial class SandboxRegion
{
    /// <summary>Kubernetes marks a node NotReady when its kubelet has been silent for node-monitor-grace-period (40 s).</summary>
    private static readonly TimeSpan NodeMonitorGracePeriod = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan ManagedServiceDetection = TimeSpan.FromSeconds(30);

    public void FailZone(string zoneName, AzFailure kind, BlackHoleMode blackHole = BlackHoleMode.Hang)
    {
        var zone = RequireZone(zoneName);
        if (kind == AzFailure.None) throw new ArgumentException("a failure must be hard or gray", nameof(kind));
        zone.BlackHole = blackHole;
        if (zone.Failure == kind) return;
        zone.Failure = kind;
        if (kind == AzFailure.Gray) return; // the control plane sees nothing wrong: that is what makes it gray
        After(ManagedServiceDetection, () =>
        {
            if (zone.Failure != AzFailure.Hard) return;
            foreach (var instance in Instances.Values.Where(i => i.AvailabilityZone == zoneName)) instance.Healthy = false;
            FailOverDatabasesOutOf(zoneName);
            FailOverCacheOutOf(zoneName);
        });
        After(NodeMonitorGracePeriod, () =>
        {
            if (zone.Failure != AzFailure.Hard) return;
            SetNodesReady(zoneName, ready: false);
        });
    }

    public void RecoverZone(string zoneName)
    {
        var zone = RequireZone(zoneName);
        if (zone.Failure == AzFailure.None) return;
        zone.Failure = AzFailure.None;
        foreach (var instance in Instances.Values.Where(i => i.AvailabilityZone == zoneName)) instance.Healthy = true;
        // A primary that stayed in a zone still down, because its standby's zone was down as well, can fail over now.
        After(ManagedServiceDetection, () =>
        {
            if (zone.Failure != AzFailure.None) return;
            foreach (var down in Zones.Values.Where(z => z.Failure == AzFailure.Hard).ToList()) FailOverDatabasesOutOf(down.Name);
        });
        After(TimeSpan.FromSeconds(10), () =>
        {
            if (zone.Failure == AzFailure.None) SetNodesReady(zoneName, ready: true);
        });
    }

    private void SetNodesReady(string zoneName, bool ready)
    {
        foreach (var node in Cluster.Nodes.Where(n => n.AvailabilityZone == zoneName && n.Ready != ready).ToList())
        {
            node.Ready = ready;
            node.ReadySince = Now;
            Cluster.Touch(node);
        }
    }

    internal AvailabilityZone RequireZone(string name) =>
        Zones.GetValueOrDefault(name) ?? throw new KeyNotFoundException($"no availability zone {name} in region {Name}");

    /// <summary>Whether the cluster's data plane can reach an endpoint in <paramref name="zoneName"/>.</summary>
    public bool ReachableFromCluster(string zoneName) => RequireZone(zoneName).ReachableFromCluster;

    /// <summary>A fault to inject into the next matching API call, or null; the latency is added either way.</summary>
    internal FaultRule? MatchFault(string service, string operation, string? userAgent = null)
    {
        var index = Faults.FindIndex(f => (f.Service == "*" || string.Equals(f.Service, service, StringComparison.OrdinalIgnoreCase))
                                          && (f.Operation == "*" || f.Operation == operation)
                                          && (f.Client is null || (userAgent?.Contains(f.Client, StringComparison.Ordinal) ?? false)) && Chance(f.Probability));
        if (index < 0) return null;
        var fault = Faults[index];
        if (fault.Remaining is 1) Faults.RemoveAt(index);
        else if (fault.Remaining is { } left) Faults[index] = fault with { Remaining = left - 1 };
        return fault;
    }
}
