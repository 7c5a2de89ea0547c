using System.Collections.Immutable;
using System.Net;
using DrSentinel.Aws;
using DrSentinel.Aws.AutoScaling;
using DrSentinel.Inventory;
using DrSentinel.Inventory.Aws;
using DrSentinel.Planning;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

/// <summary>Refused: AWS said no for a documented reason that retrying does not change; the plan goes on without the step.</summary>
public enum StepOutcome { Success, AlreadyDone, Stale, Failed, Refused }

public sealed record StepResult(StepOutcome Outcome, string Detail, Exception? Error = null)
{
    /// <summary>The call that did it when a step has more than one way (TestFailover, or its fallback); null: the step's own action.</summary>
    public string? ActionTaken { get; init; }

    public string Label => Outcome switch
    {
        StepOutcome.Success => "success",
        StepOutcome.AlreadyDone => "already-done",
        StepOutcome.Stale => "stale",
        StepOutcome.Refused => "refused",
        _ => "failed",
    };
}

/// <summary>
/// Carries out one plan step against the real APIs. Before every mutating call it reads the resource again: a step
/// already in effect is not repeated, and a resource no longer in the state the plan was made from is not touched (the
/// plan is made again). A failed call is retried with backoff after reading again, so a call that landed although its
/// answer was lost is not sent twice.
/// </summary>
public sealed partial class StepExecutor(
    IAutoScalingReader autoScalingReader, IAutoScalingActions autoScaling, Aws.Rds.IRdsReader rdsReader, Aws.Rds.IRdsActions rds,
    Aws.ElastiCache.IElastiCacheReader elastiCacheReader, Aws.ElastiCache.IElastiCacheActions elastiCache,
    Aws.ZonalShift.IZonalShiftReader zonalShiftReader, Aws.ZonalShift.IZonalShiftActions zonalShift,
    FailoverFollower follower, k8s.Kubernetes kubernetes,
    InventoryStore store, ActionEvents events, Metrics.ApiCallRecorder calls, IOptions<ActionOptions> options, TimeProvider time, ILogger<StepExecutor> logger)
{
    private const int NodeParallelism = 8;

    /// <summary>Runs <paramref name="step"/>; <paramref name="calling"/> is told before each mutating call.</summary>
    public async Task<StepResult> RunAsync(PlanStep step, Action calling, CancellationToken cancel) => step switch
    {
        CordonNodes c => await NodesAsync(c.Nodes.Select(n => (n, true)), c.Zone, calling, cancel).ConfigureAwait(false),
        UncordonNodes u => await NodesAsync(u.Uncordon.Select(n => (n, false)).Concat(u.ForgetOnly.Select(n => (n, false))), u.Zone, calling, cancel).ConfigureAwait(false),
        FailoverDbInstance f => await WithRetriesAsync(step, () => RdsFailoverAsync(f, calling, cancel), cancel).ConfigureAwait(false),
        FailoverDbCluster f => await WithRetriesAsync(step, () => ClusterFailoverAsync(f, calling, cancel), cancel).ConfigureAwait(false),
        FailoverCacheGroup f => await WithRetriesAsync(step, () => CacheFailoverAsync(f, calling, cancel), cancel).ConfigureAwait(false),
        PromoteReadReplica p => await WithRetriesAsync(step, () => ReplicaPromotionAsync(p, calling, cancel), cancel).ConfigureAwait(false),
        StartZonalShift or ExtendZonalShift or CancelZonalShift => await WithRetriesAsync(step, () => ZonalShiftAsync(step, calling, cancel), cancel).ConfigureAwait(false),
        _ => await WithRetriesAsync(step, () => GroupStepAsync(step, calling, cancel), cancel).ConfigureAwait(false),
    };

    private async Task<StepResult> WithRetriesAsync(PlanStep step, Func<Task<StepResult>> attempt, CancellationToken cancel)
    {
        var o = options.Value;
        for (var n = 1; ; n++)
        {
            try
            {
                var result = await attempt().ConfigureAwait(false);
                // After a failed attempt, "already in effect" means the earlier call landed: it was this step's doing.
                return n > 1 && result.Outcome == StepOutcome.AlreadyDone ? result with { Outcome = StepOutcome.Success } : result;
            }
            catch (Exception e) when (Transient(e, cancel) && n < o.MaxAttempts)
            {
                var delay = o.RetryDelay(n);
                LogStepRetry(logger, e, step.Action, step.Resource, n, delay.TotalMilliseconds);
                await Task.Delay(delay, time, cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (Transient(e, cancel) || e is AwsServiceException or HttpOperationException)
            {
                return new StepResult(StepOutcome.Failed, $"gave up after {n} attempt(s): {e.GetType().Name}", e);
            }
        }
    }

    /// <summary>A failure worth another attempt after reading again: throttled, 5xx, a timeout, the connection.</summary>
    internal static bool Transient(Exception e, CancellationToken cancel) => e switch
    {
        // Auto Scaling's ScalingActivityInProgress (400) says only that an activity runs now: read again, try again.
        AwsServiceException aws => aws.IsThrottling || aws.HttpStatus is null or >= 500 || aws.Code == "ScalingActivityInProgress",
        HttpOperationException k => k.Response.StatusCode is HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError,
        OperationCanceledException => !cancel.IsCancellationRequested, // a timeout, not shutdown
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };

    private async Task<StepResult> GroupStepAsync(PlanStep step, Action calling, CancellationToken cancel)
    {
        var groups = await autoScalingReader.DescribeAutoScalingGroupsAsync([step.Resource], null, cancel).ConfigureAwait(false);
        if (groups.Count == 0) return new StepResult(StepOutcome.Stale, $"{step.Resource} no longer exists");
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

    /// <summary>
    /// Cordons or uncordons nodes, each with a merge patch conditional on the resourceVersion last read, so a node
    /// someone else changed meanwhile is read again and judged again rather than overwritten.
    /// </summary>
    private async Task<StepResult> NodesAsync(IEnumerable<(string Node, bool Cordon)> nodes, string zone, Action calling, CancellationToken cancel)
    {
        int changed = 0, unchanged = 0;
        var failures = new List<(string Node, Exception Error)>();
        await Parallel.ForEachAsync(nodes, new ParallelOptions { MaxDegreeOfParallelism = NodeParallelism, CancellationToken = cancel }, async (item, token) =>
        {
            try
            {
                var result = await WithRetriesAsync(new CordonNodes(zone, [item.Node]), () => NodeAsync(item.Node, item.Cordon, zone, calling, token), token).ConfigureAwait(false);
                if (result.Outcome == StepOutcome.Success) Interlocked.Increment(ref changed);
                else if (result.Outcome == StepOutcome.Failed) lock (failures) failures.Add((item.Node, result.Error!));
                else Interlocked.Increment(ref unchanged);
            }
            catch (HttpOperationException e)
            {
                lock (failures) failures.Add((item.Node, e));
            }
        }).ConfigureAwait(false);
        if (failures.Count > 0)
            return new StepResult(StepOutcome.Failed, $"{failures.Count} node(s) not changed, first {failures[0].Node}; {changed} changed", failures[0].Error);
        return changed > 0 ? Changed($"{changed} node(s) changed, {unchanged} already as wanted") : Done($"{unchanged} node(s) already as wanted");
    }

    private async Task<StepResult> NodeAsync(string name, bool cordon, string zone, Action calling, CancellationToken cancel)
    {
        // First as the watch last saw it: the patch carries that resourceVersion, so the API server itself refuses it (409)
        // if the node changed since, and only then is it read. The common case costs one call, not two.
        var watched = store.Current.Nodes.ByName.GetValueOrDefault(name);
        for (var conflicts = 0; ; conflicts++)
        {
            using var activity = Observability.Source.StartActivity($"kubernetes {(cordon ? "cordon" : "uncordon")} node", System.Diagnostics.ActivityKind.Client);
            activity?.SetTag("k8s.node.name", name);
            var node = conflicts == 0 && watched?.ResourceVersion is { } version
                ? (Version: version, Unschedulable: watched.Unschedulable, CordonedFor: watched.CordonedFor)
                : await ReadNodeAsync(name, cancel).ConfigureAwait(false);
            if (node is null) return Done("the node is gone");
            var ours = node.Value.CordonedFor == zone;
            var unschedulable = node.Value.Unschedulable;
            string patch;
            if (cordon)
            {
                if (unschedulable) return Done(ours ? "already cordoned" : "cordoned by someone else: left alone");
                patch = Patch(node.Value.Version, unschedulable: true, zone);
            }
            else
            {
                if (!ours) return Done("not DrSentinel's cordon");
                patch = Patch(node.Value.Version, unschedulable: unschedulable ? false : null, null);
            }
            try
            {
                calling();
                await calls.KubernetesAsync("patch_node",
                    () => kubernetes.CoreV1.PatchNodeAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, cancellationToken: cancel)).ConfigureAwait(false);
                await events.NodeAsync(name, cordon ? "ZoneEvacuationCordon" : "ZoneRestoreUncordon",
                    cordon ? $"DrSentinel cordoned this node: {zone} is impaired (not evicted; pods stay until they move)"
                        : unschedulable ? $"DrSentinel uncordoned this node: {zone} recovered" : $"DrSentinel forgot its cordon: someone uncordoned this node while {zone} was evacuated",
                    cancel).ConfigureAwait(false);
                return Changed(cordon ? $"cordoned {name}" : $"uncordoned {name}");
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && conflicts < 5)
            {
                // Changed since it was seen: read it again and decide again.
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return Done("the node is gone");
            }
        }
    }

    private async Task<(string Version, bool Unschedulable, string? CordonedFor)?> ReadNodeAsync(string name, CancellationToken cancel)
    {
        try
        {
            var node = await calls.KubernetesAsync("read_node", () => kubernetes.CoreV1.ReadNodeAsync(name, cancellationToken: cancel)).ConfigureAwait(false);
            string? cordonedFor = null;
            _ = node.Metadata.Annotations?.TryGetValue(LedgerKeys.CordonedForZone, out cordonedFor);
            return (node.Metadata.ResourceVersion, node.Spec?.Unschedulable ?? false, cordonedFor);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>A merge patch conditional on <paramref name="resourceVersion"/>; a null annotation value removes it.</summary>
    private static string Patch(string resourceVersion, bool? unschedulable, string? zone)
    {
        var annotation = zone is null ? "null" : System.Text.Json.JsonSerializer.Serialize(zone, ActionJsonContext.Default.String);
        var spec = unschedulable is { } u ? $",\"spec\":{{\"unschedulable\":{(u ? "true" : "false")}}}" : "";
        var version = System.Text.Json.JsonSerializer.Serialize(resourceVersion, ActionJsonContext.Default.String);
        return $"{{\"metadata\":{{\"resourceVersion\":{version},\"annotations\":{{\"{LedgerKeys.CordonedForZone}\":{annotation}}}}}{spec}}}";
    }

    private static StepResult Changed(string detail) => new(StepOutcome.Success, detail);

    private static StepResult Done(string detail) => new(StepOutcome.AlreadyDone, detail);

    private static StepResult Stale(string detail) => new(StepOutcome.Stale, detail);

    [LoggerMessage(EventId = EventIds.StepRetry, Level = LogLevel.Warning, Message = "{Action} on {Resource} failed (attempt {Attempt}); reading it again and retrying in {DelayMs:F0} ms")]
    private static partial void LogStepRetry(ILogger logger, Exception exception, string action, string resource, int attempt, double delayMs);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ActionJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
