using System.Collections.Immutable;

namespace DrSentinel.Inventory;

/// <summary>
/// How far a PostgreSQL replica is behind the instance it replicates from, judged from both ends: the source's current
/// WAL position minus the replica's replayed position. A replica alone cannot tell: a stalled WAL receiver leaves
/// "received" equal to "replayed", and on an idle primary the last replayed transaction ages with nothing missing.
/// </summary>
public sealed record ReplicaLag(string DbInstance, string? Zone, double Bytes, double? Seconds)
{
    public static ImmutableArray<ReplicaLag> Assess(InventorySnapshot snapshot)
    {
        var probes = snapshot.PostgresProbes.Where(p => p.Up).ToDictionary(p => p.DbInstance, StringComparer.Ordinal);
        return snapshot.DbInstances
            .Select(d => (Replica: probes.GetValueOrDefault(d.Id), Source: d.ReplicatesFrom(snapshot.DbInstances) is { } id ? probes.GetValueOrDefault(id) : null))
            .Where(t => t is { Replica: { InRecovery: true, WalPosition: not null }, Source: { InRecovery: false, WalPosition: not null } })
            .Select(t =>
            {
                var bytes = t.Source!.WalPosition!.Value > t.Replica!.WalPosition!.Value ? (double)(t.Source.WalPosition.Value - t.Replica.WalPosition.Value) : 0;
                return new ReplicaLag(t.Replica.DbInstance, t.Replica.Zone, bytes, bytes == 0 ? 0 : t.Replica.LastReplayAgeSeconds);
            })
            .ToImmutableArray();
    }
}
