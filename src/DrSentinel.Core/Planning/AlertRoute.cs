namespace DrSentinel.Planning;

/// <summary>What an alert asks of DrSentinel: a playbook for a zone, or nothing and why.</summary>
public sealed record AlertRoute(PlanIntent? Intent, string? Zone, string Playbook, string? IgnoredBecause)
{
    /// <summary>The alerts that start the node-capacity playbook; their <c>az</c> label names the zone.</summary>
    public static readonly IReadOnlySet<string> ZoneAlerts = new HashSet<string>(StringComparer.Ordinal) { "DrSentinelAzUnavailable", "DrSentinelAzUnreachable" };

    public bool Actionable => Intent is not null;

    /// <summary>
    /// Routes one alert by its own status (a "firing" notification can carry resolved alerts). An alert labelled with
    /// another cluster is not this DrSentinel's: one Alertmanager often serves several clusters.
    /// </summary>
    public static AlertRoute For(string alertName, bool firing, IReadOnlyDictionary<string, string> labels, string clusterName)
    {
        if (!ZoneAlerts.Contains(alertName)) return Ignore("not-actionable");
        if (labels.TryGetValue("cluster", out var cluster) && cluster.Length > 0 && cluster != clusterName) return Ignore("other-cluster");
        if (!labels.TryGetValue("az", out var zone) || zone.Length == 0) return Ignore("no-az-label");
        return new AlertRoute(firing ? PlanIntent.Evacuate : PlanIntent.Restore, zone, Plan.CapacityPlaybook, null);
    }

    private static AlertRoute Ignore(string reason) => new(null, null, "none", reason);
}
