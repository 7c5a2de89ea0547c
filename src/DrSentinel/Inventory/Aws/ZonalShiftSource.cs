using System.Collections.Immutable;
using DrSentinel.Clients.Aws.ZonalShift;
using Microsoft.Extensions.Options;

namespace DrSentinel.Inventory.Aws;

/// <summary>
/// Each resource in Inventory:ZonalShiftResources as ARC zonal shift reports it (GetManagedResource): where its traffic
/// goes and which shifts are active, DrSentinel's and anyone else's (an operator's, a practice run, zonal autoshift).
/// </summary>
public sealed class ZonalShiftSource(IZonalShiftReader zonalShift, IOptions<InventoryOptions> options) : IInventorySource
{
    public string Name => "aws_zonal_shift";
    public TimeSpan Interval => options.Value.AwsRefreshInterval;

    public async Task<Func<InventorySnapshot, InventorySnapshot>> RefreshAsync(InventorySnapshot current, CancellationToken cancel)
    {
        var resources = ImmutableArray.CreateBuilder<ZonalShiftResourceState>();
        foreach (var arn in options.Value.ZonalShiftResources)
        {
            var resource = await zonalShift.GetManagedResourceAsync(arn, cancel);
            resources.Add(new ZonalShiftResourceState(arn, resource.Name, resource.AppliedWeights,
                [.. resource.ZonalShifts.Select(s => new ActiveZonalShift(s.Id, s.AwayFrom, s.Comment, s.ExpiryTime, s.Status == "APPLIED") { ShiftType = s.ShiftType })
                    .OrderBy(s => s.AwayFrom, StringComparer.Ordinal)]));
        }
        var watched = resources.ToImmutable();
        return snapshot => snapshot with { ZonalShiftResources = watched };
    }
}
