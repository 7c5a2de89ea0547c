namespace DrSentinel.Alerting;

/// <summary>The Alertmanager webhook receiver (section <c>Receiver</c>).</summary>
public sealed class ReceiverOptions
{
    public const string Section = "Receiver";

    /// <summary>Serve the webhook. Off, DrSentinel only exports.</summary>
    public bool Enabled { get; set; }

    public string Path { get; set; } = "/alertmanager/webhook";

    /// <summary>A file holding the token Alertmanager sends as <c>Authorization: Bearer</c> (http_config.authorization.credentials_file).</summary>
    public string? BearerTokenFile { get; set; }

    /// <summary>Basic auth as http_config.basic_auth sends it: this user name, the password in <see cref="BasicAuthPasswordFile"/>.</summary>
    public string? BasicAuthUsername { get; set; }

    public string? BasicAuthPasswordFile { get; set; }

    /// <summary>
    /// A file holding the operators' own token (<c>Authorization: Bearer</c>) for the plan preview and the kill switch:
    /// Alertmanager's credential must not be able to stop or inspect the engine. Unset, those endpoints answer 401
    /// (unless the run is unauthenticated on loopback).
    /// </summary>
    public string? OperatorTokenFile { get; set; }

    /// <summary>Accept unauthenticated notifications. Only for a loopback-only development run.</summary>
    public bool AllowUnauthenticated { get; set; }

    /// <summary>Bodies above this size are answered 413 (Alertmanager's default max_alerts is unlimited: a big group is big).</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Where accepted alerts wait until acted on, and how long a handled alert is remembered as a duplicate.</summary>
    /// <remarks>The chart mounts a volume here; the development run (the Development environment) uses the temporary directory.</remarks>
    public string StateDirectory { get; set; } = DefaultStateDirectory;

    public const string DefaultStateDirectory = "/var/lib/drsentinel";

    public TimeSpan DuplicateMemory { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Every Alertmanager peer's base URL (API v2). Set, the leader reads the active alerts on taking over, when another
    /// replica accepted a new one, and every <see cref="ReconcileEvery"/>, and acts on what it was not told of: a
    /// notification accepted by a replica that then died is still acted on, and a zone whose alert is gone is restored.
    /// Webhooks only make it faster.
    /// </summary>
    public List<Uri> AlertmanagerUrls { get; set; } = [];

    /// <summary>A file holding a bearer token for the Alertmanager API (a proxy in front of it); unset, none is sent.</summary>
    public string? AlertmanagerTokenFile { get; set; }

    public TimeSpan ReconcileEvery { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Alerts waiting to be acted on; beyond this the webhook answers 503 and Alertmanager sends again later.</summary>
    public int QueueCapacity { get; set; } = 1000;
}
