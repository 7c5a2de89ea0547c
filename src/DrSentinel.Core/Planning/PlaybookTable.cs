using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Readiness;

namespace DrSentinel.Planning;

/// <summary>
/// Everything a playbook's planner may look at: the routed alert, its episode and start, the snapshot, the policy, the
/// time, and how many TestFailover calls the last 24 hours used.
/// </summary>
public sealed record PlanRequest(
    AlertRoute Route, string Episode, DateTimeOffset AlertStartsAt, InventorySnapshot Snapshot, ActionPolicy Policy, DateTimeOffset Now,
    int TestFailoversLast24Hours = 0);

/// <summary>
/// One playbook, as the engine, the alert routing and the preview know it: its name, the alerts that start it with the
/// label that names its resource, its pure planner, and the routes it would be given if a zone were lost now.
/// </summary>
public interface IPlaybook
{
    string Name { get; }

    /// <summary>Alert name → the label naming the resource it acts on (null: the zone itself).</summary>
    ImmutableDictionary<string, string?> Alerts { get; }

    /// <summary>
    /// The inventory sources (by name) read again through the API before a plan is believed, in order: what the playbook
    /// acts on, fresher than the snapshot's last refresh. A source this DrSentinel does not run is skipped.
    /// </summary>
    ImmutableArray<string> Reads { get; }

    Plan Plan(PlanRequest request);

    /// <summary>The alerts this playbook would answer, as routes, were <paramref name="zone"/> lost now (one per resource).</summary>
    IEnumerable<AlertRoute> RoutesIfLost(string zone, InventorySnapshot snapshot);

    /// <summary>
    /// What this playbook needs of the resources it may act on to work when a zone is lost, judged from the inventory
    /// and the policy (read-only): one check per need, none where nothing is allowed to it.
    /// </summary>
    IEnumerable<ReadinessCheck> Readiness(ReadinessRequest request);
}

/// <summary>What a playbook's readiness checks may look at: the snapshot, the policy, the TestFailover calls of the last day, the zonal-shift resources configured.</summary>
public sealed record ReadinessRequest(InventorySnapshot Snapshot, ActionPolicy Policy, int TestFailoversLast24Hours, IReadOnlyCollection<string> ZonalShiftResources);

/// <summary>
/// The playbooks, one row each: the engine, the routing, the waiting alerts, the incident log and the preview reach them
/// only through this table. Built once from its rows; a second playbook with the same name, or answering an alert another
/// already answers, is refused at start.
/// </summary>
public sealed class PlaybookTable
{
    private readonly ImmutableDictionary<string, IPlaybook> _byName;
    private readonly ImmutableDictionary<string, (IPlaybook Playbook, string? ResourceLabel)> _byAlert;

    public PlaybookTable(IEnumerable<IPlaybook> playbooks)
    {
        All = [.. playbooks];
        var byName = ImmutableDictionary.CreateBuilder<string, IPlaybook>(StringComparer.Ordinal);
        var byAlert = ImmutableDictionary.CreateBuilder<string, (IPlaybook, string?)>(StringComparer.Ordinal);
        foreach (var playbook in All)
        {
            if (!byName.TryAdd(playbook.Name, playbook)) throw new ArgumentException($"two playbooks are named {playbook.Name}", nameof(playbooks));
            foreach (var (alert, label) in playbook.Alerts)
                if (!byAlert.TryAdd(alert, (playbook, label)))
                    throw new ArgumentException($"{alert} is answered by both {byAlert[alert].Item1.Name} and {playbook.Name}", nameof(playbooks));
        }
        (_byName, _byAlert) = (byName.ToImmutable(), byAlert.ToImmutable());
    }

    public ImmutableArray<IPlaybook> All { get; }

    /// <summary>Every alert some playbook answers.</summary>
    public IEnumerable<string> AlertNames => _byAlert.Keys;

    /// <summary>The alerts that name a zone only (no resource): they start and end a zone's evacuation.</summary>
    public IEnumerable<string> ZoneAlerts => _byAlert.Where(a => a.Value.ResourceLabel is null).Select(a => a.Key);

    public IPlaybook this[string name] => _byName[name];

    public bool Answers(string alertName) => _byAlert.ContainsKey(alertName);

    /// <summary>The playbook an alert starts; null when none answers it.</summary>
    public string? PlaybookOf(string? alertName) => alertName is not null && _byAlert.TryGetValue(alertName, out var row) ? row.Playbook.Name : null;

    /// <summary>The label naming the resource an alert is about; null for a zone alert or one no playbook answers.</summary>
    public string? ResourceLabelOf(string alertName) => _byAlert.TryGetValue(alertName, out var row) ? row.ResourceLabel : null;

    /// <summary>
    /// Routes one alert by its own status (a "firing" notification can carry resolved alerts). An alert labelled with
    /// another cluster is not this DrSentinel's: one Alertmanager often serves several clusters. A resolved database
    /// alert is routed too, only to be answered that DrSentinel never fails back by itself.
    /// </summary>
    public AlertRoute Route(string alertName, bool firing, IReadOnlyDictionary<string, string> labels, string clusterName)
    {
        if (!_byAlert.TryGetValue(alertName, out var row)) return AlertRoute.Ignore("not-actionable");
        if (labels.TryGetValue("cluster", out var cluster) && cluster.Length > 0 && cluster != clusterName) return AlertRoute.Ignore("other-cluster");
        if (!labels.TryGetValue("az", out var zone) || zone.Length == 0) return AlertRoute.Ignore("no-az-label");
        if (row.ResourceLabel is null) return new AlertRoute(firing ? PlanIntent.Evacuate : PlanIntent.Restore, zone, row.Playbook.Name, null);
        if (!labels.TryGetValue(row.ResourceLabel, out var resource) || resource.Length == 0) return AlertRoute.Ignore("no-resource-label");
        return new AlertRoute(firing ? PlanIntent.Failover : PlanIntent.Restore, zone, row.Playbook.Name, null) { Resource = resource };
    }

    /// <summary>Every playbook's readiness checks, in the table's order.</summary>
    public ImmutableArray<ReadinessCheck> Readiness(ReadinessRequest request) => [.. All.SelectMany(p => p.Readiness(request))];

    public Plan PlanFor(PlanRequest request) => _byName[request.Route.Playbook].Plan(request);

    /// <summary>
    /// What every playbook would do were <paramref name="zone"/> lost now: the zone failed in a copy of the snapshot, each
    /// alert as if it had fired a failover grace ago and AWS had not acted meanwhile. Refusals come with their reasons.
    /// In the table's order: the zone's own plan (the capacity playbook's) first.
    /// </summary>
    public ImmutableArray<Plan> Preview(string zone, InventorySnapshot snapshot, ActionPolicy policy, DateTimeOffset now, int testFailoversLast24Hours = 0)
    {
        var lost = ZoneFailure.Simulate(snapshot, zone);
        var firedAt = now - policy.FailoverGrace - TimeSpan.FromSeconds(1);
        return
        [
            .. All.SelectMany(p => p.RoutesIfLost(zone, lost))
                .Select(route => PlanFor(new PlanRequest(route, $"preview@{zone}", firedAt, lost, policy, now, testFailoversLast24Hours))),
        ];
    }
}
