using Microsoft.Extensions.Options;

namespace DrSentinel.Inventory;

/// <summary>Holds the current snapshot; writers swap it atomically, readers take one reference.</summary>
public sealed class InventoryStore(IOptions<InventoryOptions> options)
{
    private InventorySnapshot _current = InventorySnapshot.Empty;

    public InventorySnapshot Current => Volatile.Read(ref _current);

    /// <summary>
    /// Applies <paramref name="change"/> to the latest snapshot, with its zone verdict computed from the result; retried
    /// if another source swapped it meanwhile.
    /// </summary>
    public InventorySnapshot Update(Func<InventorySnapshot, InventorySnapshot> change)
    {
        while (true)
        {
            var before = Current;
            var after = WithVerdicts(change(before));
            if (ReferenceEquals(Interlocked.CompareExchange(ref _current, after, before), before)) return after;
        }
    }

    /// <summary>The sources (and the node watch) that have not refreshed successfully yet; empty once the inventory is complete.</summary>
    public IReadOnlyList<string> NotYetRefreshed(IEnumerable<IInventorySource> sources)
    {
        var snapshot = Current;
        return [.. sources.Select(s => s.Name).Append(Kubernetes.NodeInformer.SourceName)
            .Where(name => snapshot.Sources.GetValueOrDefault(name)?.LastSuccess is null)];
    }

    /// <summary>
    /// Waits for every source's first successful refresh (nothing is judged from an empty inventory), up to
    /// <paramref name="within"/>; returns the sources still missing then, empty once the inventory is complete.
    /// </summary>
    public async Task<IReadOnlyList<string>> WaitForFirstRefreshAsync(IEnumerable<IInventorySource> sources, TimeSpan within, TimeProvider time,
        CancellationToken cancel = default)
    {
        var started = time.GetTimestamp();
        while (NotYetRefreshed(sources) is { Count: > 0 } missing)
        {
            if (time.GetElapsedTime(started) > within) return missing;
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancel).ConfigureAwait(false);
        }
        return [];
    }

    public InventorySnapshot Report(string source, SourceStatus status) =>
        Update(s => s with { Sources = s.Sources.SetItem(source, status) });

    private InventorySnapshot WithVerdicts(InventorySnapshot snapshot)
    {
        var zoned = snapshot with { Zones = ZoneHealth.Assess(snapshot, options.Value.ZoneDegradedBelowReadyRatio, options.Value.ZoneUnavailableBelowReadyRatio) };
        // Judged with the last update's verdicts carried in: a zone unreachable stays so while every member left there fails.
        return zoned with { UnreachableZones = [.. ZoneImpairment.KnownZones(zoned).Where(z => ZoneImpairment.Assess(zoned, z).Unreachable)] };
    }
}
