using System.Collections.Immutable;
using System.Text.Json;
using DrSentinel.Clients.Aws;
using DrSentinel.Clients.Aws.AutoScaling;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions.Capacity;

/// <summary>
/// Follows each evacuation's capacity to the end: a group DrSentinel raised whose instances are not in service within
/// <see cref="ActionOptions.CapacityArrivalWithin"/> is a shortfall. It is said once per group and zone (log, a warning
/// Event on the group, the incident's timeline, each with AWS's own reason from the group's failed scaling activity) and
/// exported as drsentinel_capacity_shortfall_instances; the leader then moves the missing capacity to allowed groups (of
/// the same node group first) in healthy zones with room (<see cref="CapacityArrival.PlanMove"/>), through the action engine's
/// guardrails. A zone where AWS could not launch is not a target again for the same evacuation.
/// </summary>
public sealed partial class CapacityFollower(
    InventoryStore store, IAutoScalingReader autoScaling, ActionEngine engine, ActionEvents events, Incidents.IncidentLog incidents,
    Metrics.ActionMetrics metrics, Leadership.LeaseElector leadership, IOptions<ActionOptions> options, TimeProvider time, ILogger<CapacityFollower> logger)
    : BackgroundService
{
    private static readonly TimeSpan LookEvery = TimeSpan.FromSeconds(5);
    private readonly Dictionary<string, string> _reported = new(StringComparer.Ordinal); // group → zone of the evacuation it was reported for
    private readonly Dictionary<string, HashSet<string>> _noCapacityIn = new(StringComparer.Ordinal); // evacuated zone → zones AWS could not launch in
    private readonly Dictionary<string, string> _refusedIn = new(StringComparer.Ordinal); // group → the zone AWS last refused it in

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tracker = new CapacityArrival.Tracker(time, options.Value.CapacityArrivalWithin);
        using var timer = new PeriodicTimer(LookEvery, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await LookAsync(tracker, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AwsServiceException || StepExecutor.Transient(e, stoppingToken))
            {
                LogFollowUpFailed(logger, e);
            }
            catch (Leadership.FencedException e)
            {
                LogFollowUpFailed(logger, e);
            }
        }
    }

    private async Task LookAsync(CapacityArrival.Tracker tracker, CancellationToken stop)
    {
        var snapshot = store.Current;
        var overdue = tracker.Overdue(CapacityArrival.Shortfalls(snapshot));
        foreach (var gone in _reported.Keys.Where(g => overdue.All(o => o.Shortfall.Group != g)).ToList())
        {
            _reported.Remove(gone);
            _refusedIn.Remove(gone);
        }
        foreach (var zone in _noCapacityIn.Keys.Where(z => !EvacuationPlanner.EvacuatedZones(snapshot).Contains(z)).ToList()) _noCapacityIn.Remove(zone);
        foreach (var (shortfall, lasted) in overdue)
        {
            if (_reported.GetValueOrDefault(shortfall.Group) == shortfall.Zone) continue;
            var (refusedIn, reason) = await WhyAsync(shortfall, stop).ConfigureAwait(false);
            _refusedIn[shortfall.Group] = refusedIn;
            _reported[shortfall.Group] = shortfall.Zone;
            var text = $"{shortfall.Group}: {shortfall.Missing} of {shortfall.Desired} instance(s) still not in service after {lasted.TotalSeconds:F0} s "
                + $"(Actions:CapacityArrivalWithin {options.Value.CapacityArrivalWithin.TotalSeconds:F0} s) in {refusedIn}; AWS: {reason}";
            LogShort(logger, shortfall.Zone, text);
            incidents.CapacityShort(shortfall.Zone, shortfall.Group, text);
            await events.ResourceAsync("AutoScalingGroup", shortfall.Group, "ZoneEvacuationCapacityShort", $"DrSentinel: {text}", warning: true, stop).ConfigureAwait(false);
        }
        metrics.CapacityShortfalls([.. overdue.Select(o => (o.Shortfall.Group, o.Shortfall.NodeGroup ?? "", _refusedIn.GetValueOrDefault(o.Shortfall.Group) ?? "", o.Shortfall.Missing))]);
        var o = options.Value;
        if (overdue.IsEmpty || o.DryRun || !leadership.IsLeader) return;
        foreach (var zone in overdue.Select(x => x.Shortfall.Zone).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var here = overdue.Where(x => x.Shortfall.Zone == zone).Select(x => x.Shortfall).ToImmutableArray();
            var noCapacity = _noCapacityIn.TryGetValue(zone, out var known) ? known : _noCapacityIn[zone] = new HashSet<string>(StringComparer.Ordinal);
            foreach (var shortfall in here) noCapacity.UnionWith(shortfall.GroupZones);
            var plan = CapacityArrival.PlanMove(zone, store.Current, o.Policy(), here, noCapacity);
            if (plan.Verdict != PlanVerdict.Act) continue;
            await engine.FollowUpAsync(plan, $"capacity-move/{zone}/{time.GetUtcNow():O}", stop).ConfigureAwait(false);
            foreach (var step in plan.Steps) tracker.Restart(step.Resource);
        }
    }

    /// <summary>Where AWS refused to launch and why, from the newest failed launch activity of the group; else what is known.</summary>
    private async Task<(string Zone, string Reason)> WhyAsync(CapacityShortfall shortfall, CancellationToken stop)
    {
        var fallbackZone = shortfall.GroupZones.Length == 1 ? shortfall.GroupZones[0] : string.Join(",", shortfall.GroupZones);
        IReadOnlyList<ScalingActivityDescription> activities;
        try
        {
            activities = await autoScaling.DescribeScalingActivitiesAsync(shortfall.Group, 20, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AwsServiceException || StepExecutor.Transient(e, stop))
        {
            LogFollowUpFailed(logger, e);
            return (fallbackZone, "its scaling activities could not be read");
        }
        var failed = activities.Where(a => a.StatusCode is "Failed" or "Cancelled").OrderByDescending(a => a.StartTime).FirstOrDefault();
        if (failed is null) return (fallbackZone, "no failed launch activity; the instances may still be booting or stuck joining the cluster");
        // StatusMessage is bounded at 255 characters; the Description repeats it whole after "Status Reason: ".
        const string Reason = "Status Reason: ";
        var at = failed.Description.IndexOf(Reason, StringComparison.Ordinal);
        var whole = at >= 0 ? failed.Description[(at + Reason.Length)..] : null;
        return (ZoneOf(failed) ?? fallbackZone, whole is not null && whole.Length >= (failed.StatusMessage?.Length ?? 0) ? whole : failed.StatusMessage ?? failed.Description);
    }

    /// <summary>The zone in an activity's Details (<c>{"Subnet ID":"…","Availability Zone":"…"}</c>), if it names one.</summary>
    private static string? ZoneOf(ScalingActivityDescription activity)
    {
        if (activity.Details is not { Length: > 0 } details) return null;
        try
        {
            using var json = JsonDocument.Parse(details);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("Availability Zone", out var zone)
                   && zone.ValueKind == JsonValueKind.String && zone.GetString() is { Length: > 0 } name ? name : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = EventIds.CapacityShort, Level = LogLevel.Error, Message = "Capacity for the evacuation of {Zone} did not arrive: {Text}")]
    private static partial void LogShort(ILogger logger, string zone, string text);

    [LoggerMessage(EventId = EventIds.CapacityFollowUpFailed, Level = LogLevel.Warning, Message = "Following the evacuation's capacity: a call failed; looking again shortly")]
    private static partial void LogFollowUpFailed(ILogger logger, Exception exception);
}
