namespace DrSentinel.Clients.Kubernetes;

/// <summary>How DrSentinel reaches the Kubernetes API. Bound from the "Kubernetes" configuration section.</summary>
public sealed class KubernetesOptions
{
    public const string Section = "Kubernetes";

    /// <summary>An API server URL (the sandbox). Left empty: the in-cluster service account, else the kubeconfig.</summary>
    public Uri? Host { get; set; }

    /// <summary>A kubeconfig file to use instead of the default one, when not in a cluster and no Host is set.</summary>
    public string? KubeconfigPath { get; set; }
}
