namespace DrSentinel.Leadership;

/// <summary>
/// Leader election among DrSentinel's replicas (section <c>Leadership</c>): every replica watches, exports and takes
/// webhooks; only the holder of a coordination.k8s.io/v1 Lease plans and acts. Off, this process is the only actor.
/// </summary>
public sealed class LeadershipOptions
{
    public const string Section = "Leadership";

    public bool Enabled { get; set; }

    public string LeaseName { get; set; } = "drsentinel";

    /// <summary>The Lease's namespace: the pod's own (the chart passes it), as RBAC grants leases there only.</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>This replica's name in the Lease: the pod name (the chart passes it); defaults to the host name and process id.</summary>
    public string? Identity { get; set; }

    /// <summary>How long a Lease not seen renewed stays another replica's before this one may take it.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A leader that has not renewed for this long stops acting: well before its Lease can expire for the others.</summary>
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the Lease is read, renewed, or tried.</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);

    public string IdentityOrDefault() => Identity ?? $"{Environment.MachineName}-{Environment.ProcessId}";
}
