using DrSentinel.Inventory;

namespace DrSentinel.Incidents;

/// <summary>
/// Shows the incident record what the inventory shows, once a second: a zone's signal turning and turning back, and
/// primaries writable again. Reads the snapshot only; the record's entries are written only while an incident is open.
/// </summary>
public sealed class IncidentWatcher(IncidentLog incidents, InventoryStore store, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, time);
        try
        {
            do incidents.Observe(store.Current);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
