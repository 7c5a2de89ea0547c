namespace DrSentinel.Sandbox.Region;

// Kubelet heartbeats: every node renews its Lease in kube-node-lease, as kubelets do, until its zone loses power.
public sealed partial class SandboxRegion
{
    public const string NodeLeaseNamespace = "kube-node-lease";
    /// <summary>The kubelet's defaults: renew every 10 s (a quarter of the 40 s lease).</summary>
    private static readonly TimeSpan NodeLeaseRenewInterval = TimeSpan.FromSeconds(10);
    private const int NodeLeaseDurationSeconds = 40;

    private void RenewNodeLeases()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in Cluster.Nodes)
        {
            names.Add(node.Name);
            if (!Zones[node.AvailabilityZone].PoweredOn) continue; // a powered-off kubelet renews nothing
            var key = (NodeLeaseNamespace, node.Name);
            var existing = Leases.GetValueOrDefault(key);
            Leases[key] = new Lease(NodeLeaseNamespace, node.Name, node.Name, NodeLeaseDurationSeconds, existing?.AcquireTime ?? Now, Now,
                existing?.LeaseTransitions, Cluster.NextResourceVersion(), existing?.Uid ?? Guid.NewGuid().ToString(), existing?.CreatedAt ?? Now);
        }
        foreach (var gone in Leases.Keys.Where(k => k.Namespace == NodeLeaseNamespace && !names.Contains(k.Name)).ToList()) Leases.Remove(gone);
        After(NodeLeaseRenewInterval, RenewNodeLeases);
    }
}
