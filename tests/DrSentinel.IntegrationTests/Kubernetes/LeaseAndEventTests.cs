using System.Net;
using DrSentinel.IntegrationTests.Infrastructure;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DrSentinel.IntegrationTests.Kubernetes;

/// <summary>Leader-election leases and event recording, through KubernetesClient, against the sandbox.</summary>
public sealed class LeaseAndEventTests
{
    [Fact]
    public async Task Lease_CreateGetUpdate_AndAStaleUpdateGetsConflict()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = sandbox.Endpoint.ToString() });
        var lease = new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "drsentinel", NamespaceProperty = "dr" },
            Spec = new V1LeaseSpec { HolderIdentity = "pod-a", LeaseDurationSeconds = 15, AcquireTime = DateTime.UtcNow, RenewTime = DateTime.UtcNow },
        };

        var created = await client.CoordinationV1.CreateNamespacedLeaseAsync(lease, "dr");
        var read = await client.CoordinationV1.ReadNamespacedLeaseAsync("drsentinel", "dr");
        var firstHolder = read.Spec.HolderIdentity;
        read.Spec.HolderIdentity = "pod-b";
        var updated = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(read, "drsentinel", "dr");
        created.Spec.HolderIdentity = "pod-c"; // still carries the first resourceVersion
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoordinationV1.ReplaceNamespacedLeaseAsync(created, "drsentinel", "dr"));
        var duplicate = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoordinationV1.CreateNamespacedLeaseAsync(lease, "dr"));

        Assert.Equal("pod-a", firstHolder);
        Assert.Equal("pod-b", updated.Spec.HolderIdentity);
        Assert.NotEqual(created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.Response.StatusCode);
        Assert.Equal("pod-b", (await client.CoordinationV1.ReadNamespacedLeaseAsync("drsentinel", "dr")).Spec.HolderIdentity);
    }

    [Fact]
    public async Task Event_Create_IsAcceptedAndKept()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = sandbox.Endpoint.ToString() });
        var node = sandbox.State(r => r.Cluster.Nodes.First().Name);

        var created = await client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { GenerateName = "drsentinel-", NamespaceProperty = "default" },
            InvolvedObject = new V1ObjectReference { Kind = "Node", Name = node },
            Reason = "ZoneCordoned",
            Message = "cordoned by DrSentinel",
            Type = "Warning",
        }, "default");

        Assert.StartsWith("drsentinel-", created.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal("ZoneCordoned", Assert.Single(sandbox.State(r => r.KubernetesEvents.Select(e => e["reason"]!.GetValue<string>()).ToList())));
    }
}
