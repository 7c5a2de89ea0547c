using DrSentinel.Clients.Aws;
using DrSentinel.Clients.Aws.ZonalShift;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;
using static DrSentinel.Actions.StepResult;

namespace DrSentinel.Actions.Capacity;

/// <summary>
/// ARC zonal shift: read the resource first (a shift already in place is not started twice), make the one call, and for a
/// start read again to see ARC apply it.
/// </summary>
public sealed class ZonalShiftSteps(IZonalShiftReader zonalShiftReader, IZonalShiftActions zonalShift) : IStepHandler
{
    public bool Takes(PlanStep planStep) => planStep is StartZonalShift or ExtendZonalShift or CancelZonalShift;

    public Task<StepResult> RunAsync(PlanStep planStep, Action calling, CancellationToken cancel) => ZonalShiftAsync(planStep, calling, cancel);

    private async Task<StepResult> ZonalShiftAsync(PlanStep step, Action calling, CancellationToken cancel)
    {
        switch (step)
        {
            case StartZonalShift start:
            {
                var before = await zonalShiftReader.GetManagedResourceAsync(start.Arn, cancel).ConfigureAwait(false);
                // A customer's shift (DrSentinel's, an operator's) stands; AWS's own (practice run, FIS, autoshift) gives way to ours.
                if (before.ZonalShifts.FirstOrDefault(s => s.AwayFrom == start.Zone && s is { Status: "APPLIED", ShiftType: "ZONAL_SHIFT" }) is { } existing)
                    return Done($"traffic already shifted away from {start.Zone} (shift {existing.Id})");
                if (before.ZonalShifts.FirstOrDefault(s => s is { Status: "APPLIED", ShiftType: "ZONAL_SHIFT" }) is { } other)
                    return Stale($"{start.Name} is shifted away from {other.AwayFrom} now (shift {other.Id})");
                calling();
                ZonalShiftDescription started;
                try
                {
                    started = await zonalShift.StartZonalShiftAsync(start.Arn, start.Zone, start.ExpiresIn, start.Comment, cancel).ConfigureAwait(false);
                }
                catch (AwsServiceException e) when (e.Code == "ConflictException")
                {
                    // ARC's reasons (ZonalShiftAlreadyExists, SimultaneousZonalShiftsConflict, ZonalAutoshiftActive, ...) are
                    // its own state, not a fault: the traffic stays as ARC has it, and the capacity steps still run.
                    return new StepResult(StepOutcome.Refused, $"ARC refused the shift ({e.Reason ?? e.Code}): {e.Message}; {start.Name}'s traffic is left as ARC has it", e);
                }
                var after = await zonalShiftReader.GetManagedResourceAsync(start.Arn, cancel).ConfigureAwait(false);
                var applied = after.ZonalShifts.Any(s => s.Id == started.Id && s.Status == "APPLIED");
                return applied
                    ? Changed($"shift {started.Id} applied, weight in {start.Zone} {after.AppliedWeights.GetValueOrDefault(start.Zone, double.NaN)}, expires {started.ExpiryTime:u}")
                    : new StepResult(StepOutcome.Failed, $"ARC took shift {started.Id} but does not report it applied; traffic may still reach {start.Zone}");
            }
            case ExtendZonalShift extend:
            {
                var resource = await zonalShiftReader.GetManagedResourceAsync(extend.Arn, cancel).ConfigureAwait(false);
                if (!resource.ZonalShifts.Any(s => s.Id == extend.ShiftId && s.Status == "APPLIED"))
                    return Stale($"shift {extend.ShiftId} is no longer active");
                calling();
                var extended = await zonalShift.UpdateZonalShiftAsync(extend.ShiftId, extend.ExpiresIn, extend.Comment, cancel).ConfigureAwait(false);
                return Changed($"shift {extend.ShiftId} now expires {extended.ExpiryTime:u}");
            }
            case CancelZonalShift end:
            {
                var resource = await zonalShiftReader.GetManagedResourceAsync(end.Arn, cancel).ConfigureAwait(false);
                if (resource.ZonalShifts.FirstOrDefault(s => s.Id == end.ShiftId) is not { } shift) return Done($"shift {end.ShiftId} already ended");
                if (!shift.Comment.StartsWith(ActiveZonalShift.Mark, StringComparison.Ordinal))
                    return Stale($"shift {end.ShiftId} is not DrSentinel's (its comment is now '{shift.Comment}'): left alone");
                calling();
                try
                {
                    await zonalShift.CancelZonalShiftAsync(end.ShiftId, cancel).ConfigureAwait(false);
                }
                catch (AwsServiceException e) when (e.Reason == "ZonalShiftStatusNotActive")
                {
                    return Done($"shift {end.ShiftId} ended meanwhile");
                }
                return Changed($"shift {end.ShiftId} cancelled: traffic goes to {end.Zone} again");
            }
            default:
                throw new InvalidOperationException($"no executor for {step.GetType().Name}");
        }
    }
}
