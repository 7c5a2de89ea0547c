using DrSentinel.Actions;
using DrSentinel.Alerting;
using DrSentinel.Leadership;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace DrSentinel.Readiness;

/// <summary>
/// What DrSentinel's service account may do, asked of the API server itself (a SelfSubjectAccessReview per verb and
/// resource, read-only): the node watch (list, watch nodes), and where DrSentinel acts, the cordon (patch nodes) and its
/// Events (create events where it writes them), and with leader election its Lease (get, create, update leases).
/// </summary>
public sealed class KubernetesPermissions(
    k8s.Kubernetes kubernetes, ApiCallRecorder calls, IOptions<ReceiverOptions> receiver, IOptions<ActionOptions> actions, IOptions<LeadershipOptions> leadership,
    IOptions<ReadinessOptions> options)
{
    public const string Check = "kubernetes-permissions";

    /// <summary>Each permission, with what it is for: verb, API group, resource, namespace (null: cluster-scoped).</summary>
    public IReadOnlyList<(string Verb, string Group, string Resource, string? Namespace, string For)> Needed
    {
        get
        {
            List<(string, string, string, string?, string)> needed =
            [
                ("list", "", "nodes", null, "the node watch"), ("watch", "", "nodes", null, "the node watch"),
                ("list", "coordination.k8s.io", "leases", Inventory.Kubernetes.NodeLeaseSource.Namespace, "the kubelets' heartbeats, which tell a zone's lost hosts from a gray failure"),
            ];
            if (receiver.Value.Enabled || options.Value.ForDoctor)
            {
                needed.Add(("patch", "", "nodes", null, "cordoning a lost zone's nodes"));
                foreach (var ns in new[] { "default", actions.Value.EventNamespace }.Distinct(StringComparer.Ordinal))
                    needed.Add(("create", "", "events", ns, "the Events that tell kubectl what DrSentinel did"));
            }
            if (leadership.Value.Enabled)
                foreach (var verb in new[] { "get", "create", "update" })
                    needed.Add((verb, "coordination.k8s.io", "leases", leadership.Value.Namespace, "leader election"));
            return needed;
        }
    }

    public async Task<ReadinessCheck> AssessAsync(CancellationToken cancel)
    {
        var problems = new List<string>();
        var evidence = new List<string>();
        foreach (var (verb, group, resource, ns, purpose) in Needed)
        {
            var what = $"{verb} {resource}{(group.Length > 0 ? "." + group : "")}{(ns is null ? "" : $" in {ns}")}";
            var review = new V1SelfSubjectAccessReview
            {
                Spec = new V1SelfSubjectAccessReviewSpec
                {
                    ResourceAttributes = new V1ResourceAttributes { Verb = verb, Group = group, Resource = resource, NamespaceProperty = ns },
                },
            };
            V1SelfSubjectAccessReview answer;
            try
            {
                answer = await calls.KubernetesAsync("create_selfsubjectaccessreview",
                    () => kubernetes.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(review, cancellationToken: cancel)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
            {
                return new(Check, ReadinessVerdict.CouldNotCheck, $"the API server did not answer a SelfSubjectAccessReview ({e.GetType().Name}: {e.Message})",
                    "see the log; SelfSubjectAccessReview is allowed to every authenticated account unless the cluster changed system:basic-user", [.. evidence]);
            }
            var allowed = answer.Status?.Allowed == true;
            evidence.Add($"{what}: {(allowed ? "allowed" : "denied")}");
            if (!allowed) problems.Add($"may not {what} ({purpose})");
        }
        return ReadinessCheck.From(Check, problems, evidence, $"the service account may do all {Needed.Count} things DrSentinel needs of Kubernetes",
            "grant them as the chart's rbac.yaml does (ClusterRole: nodes get, list, watch, patch; events create. Role: leases get, create, update)");
    }
}
