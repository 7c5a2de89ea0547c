using System.Collections.Immutable;

namespace DrSentinel.Planning;

/// <summary>What an alert asks of DrSentinel: a playbook for a zone (and, for a database, a resource), or nothing and why.</summary>
public sealed record AlertRoute(PlanIntent? Intent, string? Zone, string Playbook, string? IgnoredBecause)
{
    /// <summary>The database the alert names (its db_instance or replication_group label); null for the zone alerts.</summary>
    public string? Resource { get; init; }

    /// <summary>Which playbook each alert starts, and the label that names its resource (null: the zone itself), from the playbooks' table.</summary>
    public static readonly ImmutableDictionary<string, (string Playbook, string? ResourceLabel)> Table =
        Playbooks.All.SelectMany(p => p.Alerts.Select(a => KeyValuePair.Create(a.Key, (p.Name, a.Value)))).ToImmutableDictionary(StringComparer.Ordinal);

    public bool Actionable => Intent is not null;

    /// <summary>
    /// Routes one alert by its own status (a "firing" notification can carry resolved alerts). An alert labelled with
    /// another cluster is not this DrSentinel's: one Alertmanager often serves several clusters. A resolved database
    /// alert is routed too, only to be answered that DrSentinel never fails back by itself.
    /// </summary>
    public static AlertRoute For(string alertName, bool firing, IReadOnlyDictionary<string, string> labels, string clusterName)
    {
        if (!Table.TryGetValue(alertName, out var entry)) return Ignore("not-actionable");
        if (labels.TryGetValue("cluster", out var cluster) && cluster.Length > 0 && cluster != clusterName) return Ignore("other-cluster");
        if (!labels.TryGetValue("az", out var zone) || zone.Length == 0) return Ignore("no-az-label");
        if (entry.ResourceLabel is null) return new AlertRoute(firing ? PlanIntent.Evacuate : PlanIntent.Restore, zone, entry.Playbook, null);
        if (!labels.TryGetValue(entry.ResourceLabel, out var resource) || resource.Length == 0) return Ignore("no-resource-label");
        return new AlertRoute(firing ? PlanIntent.Failover : PlanIntent.Restore, zone, entry.Playbook, null) { Resource = resource };
    }

    private static AlertRoute Ignore(string reason) => new(null, null, "none", reason);
}
