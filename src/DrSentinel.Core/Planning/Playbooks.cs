using System.Collections.Immutable;
using DrSentinel.Inventory;

namespace DrSentinel.Planning;

/// <summary>
/// Everything a playbook's planner may look at: the routed alert, its episode and start, the snapshot, the policy, the
/// time, and how many TestFailover calls the last 24 hours used.
/// </summary>
public sealed record PlanRequest(
    AlertRoute Route, string Episode, DateTimeOffset AlertStartsAt, InventorySnapshot Snapshot, ActionPolicy Policy, DateTimeOffset Now,
    int TestFailoversLast24Hours = 0);

/// <summary>The playbooks by name: each is a pure planner; the engine knows them only through this table.</summary>
public static class Playbooks
{
    public static readonly ImmutableDictionary<string, Func<PlanRequest, Plan>> Planners =
        new Dictionary<string, Func<PlanRequest, Plan>>(StringComparer.Ordinal)
        {
            [Plan.CapacityPlaybook] = r => r.Route.Intent == PlanIntent.Evacuate
                ? EvacuationPlanner.PlanEvacuation(r.Route.Zone!, r.Snapshot, r.Policy, r.AlertStartsAt)
                : EvacuationPlanner.PlanRestore(r.Route.Zone!, r.Snapshot, r.Policy),
            [Plan.RdsFailoverPlaybook] = FailoverPlanner.PlanRdsFailover,
            [Plan.CacheFailoverPlaybook] = FailoverPlanner.PlanCacheFailover,
        }.ToImmutableDictionary(StringComparer.Ordinal);

    public static Plan PlanFor(PlanRequest request) => Planners[request.Route.Playbook](request);
}
