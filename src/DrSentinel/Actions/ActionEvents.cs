using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

/// <summary>
/// Kubernetes Events for what the engine did, so `kubectl describe node` and `kubectl get events` tell the story too:
/// on each node it cordoned or uncordoned, and, for an Auto Scaling group (no Kubernetes object), an Event naming the
/// group in <see cref="ActionOptions.EventNamespace"/>. Best effort, as Events are: a failure is logged, never fatal.
/// </summary>
public sealed partial class ActionEvents(
    k8s.Kubernetes kubernetes, ApiCallRecorder calls, IOptions<ActionOptions> options, TimeProvider time, ILogger<ActionEvents> logger)
{
    public Task NodeAsync(string node, string reason, string message, CancellationToken cancel) =>
        CreateAsync(new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = node, Uid = node }, "default", reason, message, "Normal", cancel);

    /// <summary>An Event about an AWS resource a step changed: an Auto Scaling group, a DB instance, a replication group.</summary>
    public Task ResourceAsync(string kind, string name, string reason, string message, bool warning, CancellationToken cancel) =>
        CreateAsync(new V1ObjectReference { ApiVersion = ApiVersions.GetValueOrDefault(kind, "aws.amazon.com/v1"), Kind = kind, Name = name },
            options.Value.EventNamespace, reason, message, warning ? "Warning" : "Normal", cancel);

    private static readonly Dictionary<string, string> ApiVersions = new(StringComparer.Ordinal)
    {
        ["AutoScalingGroup"] = "autoscaling.amazonaws.com/v1",
        ["DBInstance"] = "rds.amazonaws.com/v1",
        ["DBCluster"] = "rds.amazonaws.com/v1",
        ["ReplicationGroup"] = "elasticache.amazonaws.com/v1",
    };

    private async Task CreateAsync(V1ObjectReference involved, string ns, string reason, string message, string type, CancellationToken cancel)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var e = new Corev1Event
        {
            Metadata = new V1ObjectMeta { GenerateName = "drsentinel-", NamespaceProperty = ns },
            InvolvedObject = involved,
            Reason = reason,
            Message = message.Length <= 1024 ? message : message[..1024],
            Type = type,
            Source = new V1EventSource { Component = "drsentinel" },
            ReportingComponent = "drsentinel",
            ReportingInstance = Environment.MachineName,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };
        try
        {
            await calls.KubernetesAsync("create_event", () => kubernetes.CoreV1.CreateNamespacedEventAsync(e, ns, cancellationToken: cancel)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or IOException
                                       or OperationCanceledException && !cancel.IsCancellationRequested)
        {
            LogEventFailed(logger, ex, involved.Kind, involved.Name, reason);
        }
    }

    [LoggerMessage(EventId = EventIds.KubernetesEventFailed, Level = LogLevel.Warning, Message = "Could not record a Kubernetes Event {Reason} on {Kind} {Name}")]
    private static partial void LogEventFailed(ILogger logger, Exception exception, string kind, string name, string reason);
}
