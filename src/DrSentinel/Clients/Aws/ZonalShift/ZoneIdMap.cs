using DrSentinel.Clients.Aws.Ec2;

namespace DrSentinel.Clients.Aws.ZonalShift;

/// <summary>
/// The account's availability-zone names and IDs (EC2 DescribeAvailabilityZones), read on first use and kept: ARC zonal
/// shift names zones by ID ("use1-az1"), the rest of DrSentinel and its series by name, and each account maps names to
/// IDs differently. A failed read is tried again at the next call.
/// </summary>
public sealed class ZoneIdMap(IEc2Client ec2) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyDictionary<string, string>? _idByName;

    /// <summary>Zone name to zone ID.</summary>
    public async Task<IReadOnlyDictionary<string, string>> IdsByNameAsync(CancellationToken cancel)
    {
        if (Volatile.Read(ref _idByName) is { } known) return known;
        await _gate.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            return _idByName ??= await ec2.DescribeZoneIdsAsync(cancel).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
