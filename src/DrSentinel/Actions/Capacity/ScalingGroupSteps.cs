using DrSentinel.Clients.Aws.AutoScaling;
using DrSentinel.Inventory.Aws;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;
using static DrSentinel.Actions.StepResult;

namespace DrSentinel.Actions.Capacity;

/// <summary>
/// The capacity playbook's Auto Scaling steps: the group is read again right before each call; a step in effect is not
/// repeated, a group no longer at the values the plan was made from is not touched (the plan is made again).
/// </summary>
public sealed class ScalingGroupSteps(IAutoScalingReader autoScalingReader, IAutoScalingActions autoScaling) : IStepHandler
{
    public bool Takes(PlanStep planStep) => planStep is RecordGroupLedger or UpdateGroupLedger or SuspendProcesses or UpdateGroup or ResumeProcesses or ClearGroupLedger;

    public Task<StepResult> RunAsync(PlanStep planStep, Action calling, CancellationToken cancel) => GroupStepAsync(planStep, calling, cancel);

    private async Task<StepResult> GroupStepAsync(PlanStep step, Action calling, CancellationToken cancel)
    {
        var groups = await autoScalingReader.DescribeAutoScalingGroupsAsync([step.Resource], null, cancel).ConfigureAwait(false);
        if (groups.Count == 0) return Stale($"{step.Resource} no longer exists");
        var group = groups[0];
        var tags = group.Tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        var current = new GroupSettings(group.MinSize, group.DesiredCapacity,
            [.. ScalingGroupSource.Subnets(group.VpcZoneIdentifier)],
            [.. group.SuspendedProcesses]);
        switch (step)
        {
            case RecordGroupLedger r:
                if (tags.TryGetValue(LedgerKeys.EvacuatedZone, out var zone))
                    return zone == r.Zone ? Done("the ledger is already there") : Stale($"{r.Group} is already evacuated for {zone}");
                if (!current.SameAs(r.Original))
                    return Stale($"{r.Group} is at {current.Format()}, not the {r.Original.Format()} the plan would record as original");
                calling();
                await autoScaling.CreateOrUpdateTagsAsync(r.Group,
                [
                    new(LedgerKeys.Original, r.Original.Format(), false),
                    new(LedgerKeys.Applied, r.Applied.Format(), false),
                    new(LedgerKeys.EvacuatedZone, r.Zone, false), // last: a group with the zone tag always has the values
                ], cancel).ConfigureAwait(false);
                return Changed("the API took it");
            case UpdateGroupLedger l:
                if (!tags.TryGetValue(LedgerKeys.EvacuatedZone, out var ledgerZone) || ledgerZone != l.Zone)
                    return Stale($"{l.Group} is not evacuated for {l.Zone} any more");
                var recorded = GroupSettings.Parse(tags.GetValueOrDefault(LedgerKeys.Applied));
                if (recorded is not null && recorded.SameAs(l.Applied)) return Done("the ledger already says so");
                if (recorded is null || !recorded.SameAs(l.From))
                    return Stale($"{l.Group}'s ledger says {tags.GetValueOrDefault(LedgerKeys.Applied)}, not the {l.From.Format()} the plan was made from");
                calling();
                await autoScaling.CreateOrUpdateTagsAsync(l.Group, [new(LedgerKeys.Applied, l.Applied.Format(), false)], cancel).ConfigureAwait(false);
                return Changed("the API took it");
            case SuspendProcesses s:
                var suspend = s.Processes.Except(current.Suspended).ToList();
                if (suspend.Count == 0) return Done("already suspended");
                calling();
                await autoScaling.SuspendProcessesAsync(s.Group, suspend, cancel).ConfigureAwait(false);
                return Changed("the API took it");
            case ResumeProcesses s:
                var resume = s.Processes.Intersect(current.Suspended).ToList();
                if (resume.Count == 0) return Done("not suspended");
                calling();
                await autoScaling.ResumeProcessesAsync(s.Group, resume, cancel).ConfigureAwait(false);
                return Changed("the API took it");
            case UpdateGroup u:
                var now = current with { Suspended = u.To.Suspended };
                if (now.SameAs(u.To)) return Done("already at the target");
                if (!now.SameAs(u.From with { Suspended = u.To.Suspended }))
                    return Stale($"{u.Group} is at {now.Format()}, not the {u.From.Format()} the plan was made from");
                calling();
                await autoScaling.UpdateAutoScalingGroupAsync(u.Group, new ScalingGroupBounds(
                    MinSize: u.To.MinSize != current.MinSize ? u.To.MinSize : null,
                    DesiredCapacity: u.To.DesiredCapacity != current.DesiredCapacity ? u.To.DesiredCapacity : null,
                    VpcZoneIdentifier: now.Subnets.ToHashSet(StringComparer.Ordinal).SetEquals(u.To.Subnets) ? null : string.Join(',', u.To.Subnets)),
                    cancel).ConfigureAwait(false);
                return Changed("the API took it");
            case ClearGroupLedger c:
                var keys = new[] { LedgerKeys.EvacuatedZone, LedgerKeys.Applied, LedgerKeys.Original }.Where(tags.ContainsKey).ToList();
                if (keys.Count == 0) return Done("no ledger left");
                calling();
                await autoScaling.DeleteTagsAsync(c.Group, keys, cancel).ConfigureAwait(false); // the zone tag first in the list
                return Changed("the API took it");
            default:
                throw new InvalidOperationException($"no executor for {step.GetType().Name}");
        }
    }

}
