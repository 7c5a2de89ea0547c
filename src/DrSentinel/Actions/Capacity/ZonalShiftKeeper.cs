using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions.Capacity;

/// <summary>
/// Keeps DrSentinel's zonal shifts in place while their zone is impaired: a shift expires by itself (so a DrSentinel that
/// is gone never leaves traffic shifted for good), and this extends each one due (<see cref="ZonalShifts.DueForExtension"/>)
/// by another term. The extensions of a zone are a follow-up plan of the evacuation, carried out by the engine like every
/// other step: behind the capacity lane, under the hourly cap and the leader's term, in the history, the metrics and the
/// incident. Only the leader, live, with the kill switch off; the restore cancels the shift.
/// </summary>
public sealed class ZonalShiftKeeper(
    InventoryStore store, ActionEngine engine, KillSwitch killSwitch, Leadership.LeaseElector leadership, IOptions<ActionOptions> options, TimeProvider time)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RecheckEvery, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var o = options.Value;
            if (o.DryRun || killSwitch.Engaged || !leadership.IsLeader) continue;
            var now = time.GetUtcNow();
            foreach (var zone in ZonalShifts.DueForExtension(store.Current, o.Policy(), now).GroupBy(s => s.Zone, StringComparer.Ordinal))
            {
                var plan = new Plan(CapacityPlaybook.PlaybookName, PlanIntent.Evacuate, zone.Key, PlanVerdict.Act,
                    $"{zone.Key} still looks impaired: DrSentinel's shift(s) away from it are extended before they end", [.. zone], [], 0, 0) { FollowsUp = true };
                try
                {
                    await engine.FollowUpAsync(plan, $"zonal-shift-upkeep/{zone.Key}/{now:O}", stoppingToken).ConfigureAwait(false);
                }
                catch (Leadership.FencedException)
                {
                    break; // not the leader any more: the new one keeps them
                }
            }
        }
    }
}
