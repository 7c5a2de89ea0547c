namespace DrSentinel.Inventory;

/// <summary>Holds the current snapshot; writers swap it atomically, readers take one reference.</summary>
public sealed class InventoryStore
{
    private InventorySnapshot _current = InventorySnapshot.Empty;

    public InventorySnapshot Current => Volatile.Read(ref _current);

    /// <summary>Applies <paramref name="change"/> to the latest snapshot; retried if another source swapped it meanwhile.</summary>
    public InventorySnapshot Update(Func<InventorySnapshot, InventorySnapshot> change)
    {
        while (true)
        {
            var before = Current;
            var after = change(before);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _current, after, before), before)) return after;
        }
    }

    public InventorySnapshot Report(string source, SourceStatus status) =>
        Update(s => s with { Sources = s.Sources.SetItem(source, status) });
}
