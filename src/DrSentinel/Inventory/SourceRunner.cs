namespace DrSentinel.Inventory;

/// <summary>One system DrSentinel reads on a timer (AWS Describe calls, data-plane probes).</summary>
public interface IInventorySource
{
    /// <summary>The <c>source</c> label of its health series.</summary>
    string Name { get; }

    TimeSpan Interval { get; }

    /// <summary>Reads the system once and returns how to fold the result into a snapshot.</summary>
    Task<Func<InventorySnapshot, InventorySnapshot>> RefreshAsync(InventorySnapshot current, CancellationToken cancel);
}

/// <summary>
/// Refreshes one source on its own timer. A refresh that fails or times out keeps the source's last values, reports it
/// down and keeps its last success time; the other sources and the scrape never wait on it.
/// </summary>
public sealed partial class SourceRunner(IInventorySource source, InventoryStore store, TimeProvider time, ILogger<SourceRunner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(source.Interval, time);
        do
        {
            await RefreshOnceAsync(stoppingToken);
        } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One refresh, bounded by the source's interval so a hung call cannot stall the next one.</summary>
    private async Task RefreshOnceAsync(CancellationToken stoppingToken)
    {
        var started = time.GetTimestamp();
        using var timeout = new CancellationTokenSource(source.Interval, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            var apply = await source.RefreshAsync(store.Current, deadline.Token).ConfigureAwait(false);
            var status = new SourceStatus(true, time.GetUtcNow(), time.GetElapsedTime(started), null);
            store.Update(s =>
            {
                var next = apply(s);
                return next with { Sources = next.Sources.SetItem(source.Name, status) };
            });
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            var errorType = e is OperationCanceledException ? "Timeout" : e.GetType().Name;
            store.Update(s => s with
            {
                Sources = s.Sources.SetItem(source.Name, new SourceStatus(false, s.Sources.GetValueOrDefault(source.Name)?.LastSuccess,
                    time.GetElapsedTime(started), errorType)),
            });
            LogRefreshFailed(logger, e, source.Name, errorType);
        }
    }

    [LoggerMessage(EventId = EventIds.SourceRefreshFailed, Level = LogLevel.Warning, Message = "Source {Source} refresh failed ({ErrorType}); keeping its last values")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string source, string errorType);
}
