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
/// down and keeps its last success time; the other sources and the scrape never wait on it. After a failure the next
/// refresh comes sooner (1 s, 2 s, 4 s … up to the interval), so one failed start does not leave the source empty for a
/// whole interval.
/// </summary>
public sealed partial class SourceRunner(IInventorySource source, InventoryStore store, TimeProvider time, ILogger<SourceRunner> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            failures = await RefreshOnceAsync(stoppingToken).ConfigureAwait(false) ? 0 : failures + 1;
            var wait = failures == 0 ? source.Interval : TimeSpan.FromTicks(Math.Min(source.Interval.Ticks, FirstRetry.Ticks << Math.Min(failures - 1, 20)));
            var left = wait - time.GetElapsedTime(started);
            if (left > TimeSpan.Zero) await Task.Delay(left, time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>One refresh, bounded by the source's interval so a hung call cannot stall the next one.</summary>
    private async Task<bool> RefreshOnceAsync(CancellationToken stoppingToken)
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
            return true;
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
            return false;
        }
    }

    [LoggerMessage(EventId = EventIds.SourceRefreshFailed, Level = LogLevel.Warning, Message = "Source {Source} refresh failed ({ErrorType}); keeping its last values")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string source, string errorType);
}
