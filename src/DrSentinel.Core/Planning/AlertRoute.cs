namespace DrSentinel.Planning;

/// <summary>What an alert asks of DrSentinel: a playbook for a zone (and, for a database, a resource), or nothing and why.</summary>
public sealed record AlertRoute(PlanIntent? Intent, string? Zone, string Playbook, string? IgnoredBecause)
{
    /// <summary>The database the alert names (its db_instance or replication_group label); null for the zone alerts.</summary>
    public string? Resource { get; init; }

    public bool Actionable => Intent is not null;

    /// <summary>An alert DrSentinel does not act on, and why (a bounded label value).</summary>
    public static AlertRoute Ignore(string reason) => new(null, null, "none", reason);
}
