using DrSentinel.Inventory;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

/// <summary>
/// Keeps DrSentinel's zonal shifts in place while their zone is impaired: a shift expires by itself (so a DrSentinel that
/// is gone never leaves traffic shifted for good), and this extends each one due (<see cref="ZonalShifts.DueForExtension"/>)
/// by another term. Only the leader, live, with the kill switch off; the restore cancels the shift.
/// </summary>
public sealed partial class ZonalShiftKeeper(
    InventoryStore store, StepExecutor executor, KillSwitch killSwitch, Leadership.LeaseElector leadership, Incidents.IncidentLog incidents,
    Metrics.ActionMetrics metrics, IOptions<ActionOptions> options, TimeProvider time, ILogger<ZonalShiftKeeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stop = stoppingToken;
        using var timer = new PeriodicTimer(options.Value.RecheckEvery, time);
        while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
        {
            var o = options.Value;
            if (o.DryRun || killSwitch.Engaged || !leadership.IsLeader) continue;
            var term = leadership.Term;
            foreach (var step in ZonalShifts.DueForExtension(store.Current, o.Policy(), time.GetUtcNow()))
            {
                StepResult result;
                try
                {
                    result = await executor.RunAsync(step, () => leadership.Fence(term), stop).ConfigureAwait(false);
                }
                catch (Leadership.FencedException)
                {
                    break;
                }
                metrics.Acted(Plan.CapacityPlaybook, step.Action, result.Label, time.GetUtcNow());
                incidents.Extended(step, result.Label, result.Detail);
                LogExtended(logger, step.Describe(), result.Label, result.Detail);
            }
        }
    }

    [LoggerMessage(EventId = EventIds.ZonalShiftExtended, Level = LogLevel.Warning, Message = "{Step}: {Outcome} ({Detail})")]
    private static partial void LogExtended(ILogger logger, string step, string outcome, string detail);
}
