using System.Globalization;
using System.Text.Json;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Kubernetes;

/// <summary>Writes core/v1 Node objects, NodeLists and meta.k8s.io/v1 Tables as the API server does.</summary>
internal static class NodeJson
{
    public const string KubeletVersion = "v1.33.5-eks-sandbox";
    private const string ContainerRuntime = "containerd://1.7.27";
    private const string OsImage = "Amazon Linux 2023";
    private const string KernelVersion = "6.1.0";

    /// <summary>EKS names a node after its private address: ip-10-0-1-23.eu-central-1.compute.internal.</summary>
    private static string InternalIp(NodeSnapshot n) => n.Name.Split('.')[0]["ip-".Length..].Replace('-', '.');

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static IReadOnlyDictionary<string, string> Labels(NodeSnapshot n)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["kubernetes.io/hostname"] = n.Name,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = "amd64",
            ["node.kubernetes.io/instance-type"] = n.InstanceType,
            ["topology.kubernetes.io/region"] = n.Region,
            ["topology.kubernetes.io/zone"] = n.AvailabilityZone,
            ["failure-domain.beta.kubernetes.io/region"] = n.Region,
            ["failure-domain.beta.kubernetes.io/zone"] = n.AvailabilityZone,
            ["eks.amazonaws.com/nodegroup"] = n.NodeGroup,
            ["eks.amazonaws.com/capacityType"] = "ON_DEMAND",
        };
        foreach (var (key, value) in n.ExtraLabels) labels[key] = value;
        return labels;
    }

    public static void WriteNode(Utf8JsonWriter w, NodeSnapshot n)
    {
        w.WriteStartObject();
        w.WriteString("kind", "Node");
        w.WriteString("apiVersion", "v1");
        w.WritePropertyName("metadata");
        WriteMetadata(w, n);
        w.WriteStartObject("spec");
        w.WriteString("providerID", $"aws:///{n.AvailabilityZone}/{n.InstanceId}");
        if (n.Unschedulable) w.WriteBoolean("unschedulable", true);
        var taints = n.Taints.Select(t => (t.Key, t.Value, t.Effect)).ToList();
        if (n.Unschedulable) taints.Add(("node.kubernetes.io/unschedulable", "", "NoSchedule"));
        if (!n.Ready) taints.Add(("node.kubernetes.io/unreachable", "", "NoSchedule"));
        if (taints.Count > 0)
        {
            w.WriteStartArray("taints");
            foreach (var (key, value, effect) in taints)
            {
                w.WriteStartObject();
                w.WriteString("key", key);
                if (value.Length > 0) w.WriteString("value", value);
                w.WriteString("effect", effect);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteStartObject("status");
        w.WriteStartArray("conditions");
        w.WriteStartObject();
        w.WriteString("type", "Ready");
        w.WriteString("status", n.Ready ? "True" : "Unknown");
        w.WriteString("lastHeartbeatTime", Time(n.ReadySince));
        w.WriteString("lastTransitionTime", Time(n.ReadySince));
        w.WriteString("reason", n.Ready ? "KubeletReady" : "NodeStatusUnknown");
        w.WriteString("message", n.Ready ? "kubelet is posting ready status" : "Kubelet stopped posting node status.");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartArray("addresses");
        w.WriteStartObject();
        w.WriteString("type", "InternalIP");
        w.WriteString("address", InternalIp(n));
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString("type", "Hostname");
        w.WriteString("address", n.Name);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("nodeInfo");
        w.WriteString("kubeletVersion", KubeletVersion);
        w.WriteString("kubeProxyVersion", KubeletVersion);
        w.WriteString("operatingSystem", "linux");
        w.WriteString("architecture", "amd64");
        w.WriteString("containerRuntimeVersion", ContainerRuntime);
        w.WriteString("osImage", OsImage);
        w.WriteString("kernelVersion", KernelVersion);
        w.WriteString("machineID", n.Uid.Replace("-", "", StringComparison.Ordinal));
        w.WriteString("systemUUID", n.Uid);
        w.WriteString("bootID", n.Uid);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter w, NodeSnapshot n)
    {
        w.WriteStartObject();
        w.WriteString("name", n.Name);
        w.WriteString("uid", n.Uid);
        w.WriteString("resourceVersion", n.ResourceVersion.ToString(CultureInfo.InvariantCulture));
        w.WriteString("creationTimestamp", Time(n.CreatedAt));
        w.WriteStartObject("labels");
        foreach (var (key, value) in Labels(n)) w.WriteString(key, value);
        w.WriteEndObject();
        if (n.Annotations.Count > 0)
        {
            w.WriteStartObject("annotations");
            foreach (var (key, value) in n.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal)) w.WriteString(key, value);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    public static void WriteList(Utf8JsonWriter w, IEnumerable<NodeSnapshot> nodes, long resourceVersion, string? next = null, int remaining = 0)
    {
        w.WriteStartObject();
        w.WriteString("kind", "NodeList");
        w.WriteString("apiVersion", "v1");
        WriteListMetadata(w, resourceVersion, next, remaining);
        w.WriteStartArray("items");
        foreach (var node in nodes) WriteNode(w, node);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The server-side printing kubectl asks for with <c>Accept: application/json;as=Table</c>.</summary>
    /// <summary>A list's metadata: its resourceVersion and, for a chunk, where the next one starts and how many are left.</summary>
    public static void WriteListMetadata(Utf8JsonWriter w, long resourceVersion, string? next, int remaining)
    {
        w.WriteStartObject("metadata");
        w.WriteString("resourceVersion", resourceVersion.ToString(CultureInfo.InvariantCulture));
        if (next is not null)
        {
            w.WriteString("continue", next);
            w.WriteNumber("remainingItemCount", remaining);
        }
        w.WriteEndObject();
    }

    /// <summary>The table's columns; priority 1 ones are what <c>kubectl get -o wide</c> adds.</summary>
    public static void WriteColumns(Utf8JsonWriter w, IEnumerable<(string Name, int Priority)> columns)
    {
        w.WriteStartArray("columnDefinitions");
        foreach (var (name, priority) in columns)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("type", "string");
            w.WriteString("format", name == "Name" ? "name" : "");
            w.WriteString("description", name);
            w.WriteNumber("priority", priority);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static readonly (string, int)[] NodeColumns =
    [
        ("Name", 0), ("Status", 0), ("Roles", 0), ("Age", 0), ("Version", 0),
        ("Internal-IP", 1), ("External-IP", 1), ("OS-Image", 1), ("Kernel-Version", 1), ("Container-Runtime", 1),
    ];

    public static void WriteTable(Utf8JsonWriter w, IEnumerable<NodeSnapshot> nodes, long resourceVersion, DateTimeOffset now, bool withColumns,
        string? next = null, int remaining = 0)
    {
        w.WriteStartObject();
        w.WriteString("kind", "Table");
        w.WriteString("apiVersion", "meta.k8s.io/v1");
        WriteListMetadata(w, resourceVersion, next, remaining);
        if (withColumns) WriteColumns(w, NodeColumns);
        w.WriteStartArray("rows");
        foreach (var n in nodes)
        {
            w.WriteStartObject();
            w.WriteStartArray("cells");
            w.WriteStringValue(n.Name);
            w.WriteStringValue((n.Ready ? "Ready" : "NotReady") + (n.Unschedulable ? ",SchedulingDisabled" : ""));
            w.WriteStringValue("<none>");
            w.WriteStringValue(Age(now - n.CreatedAt));
            w.WriteStringValue(KubeletVersion);
            w.WriteStringValue(InternalIp(n));
            w.WriteStringValue("<none>");
            w.WriteStringValue(OsImage);
            w.WriteStringValue(KernelVersion);
            w.WriteStringValue(ContainerRuntime);
            w.WriteEndArray();
            w.WriteStartObject("object");
            w.WriteString("kind", "PartialObjectMetadata");
            w.WriteString("apiVersion", "meta.k8s.io/v1");
            w.WritePropertyName("metadata");
            WriteMetadata(w, n);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    internal static string Age(TimeSpan age) => age.TotalDays >= 2 ? $"{(int)age.TotalDays}d"
        : age.TotalHours >= 2 ? $"{(int)age.TotalHours}h"
        : age.TotalMinutes >= 2 ? $"{(int)age.TotalMinutes}m"
        : $"{Math.Max(0, (int)age.TotalSeconds)}s";
}
