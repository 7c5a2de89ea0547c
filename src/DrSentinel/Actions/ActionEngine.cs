using System.Diagnostics;
using System.Threading.Channels;
using DrSentinel.Alerting;
using DrSentinel.Inventory;
using DrSentinel.Metrics;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

/// <summary>
/// Takes accepted alerts in lanes: one for the zones' node capacity (one zone at a time), one per database, so a
/// failover never waits behind an evacuation's retries; within a lane, one alert at a time. Plans from the inventory, and unless in dry-run or stopped by the kill switch,
/// carries the steps out under the guardrails (a plan that would not act is made again from a fresh read first).
/// An alert is marked handled only when that is over, so one interrupted by a restart is handled again, and the plan,
/// made from the ledger on the resources, lists only what is left. A plan refused only because of how the zone looks
/// now stays waiting and is made again every <see cref="ActionOptions.RecheckEvery"/> until it acts or the opposite
/// alert (the resolution of a firing one, a new firing of a resolved one) has been handled. The guardrails stay global:
/// the kill switch, and the hourly cap, judged with the steps of the plans other lanes are carrying out counted in.
/// </summary>
public sealed partial class ActionEngine(
    PlaybookTable playbooks, AlertInbox inbox, InventoryStore store, IEnumerable<IInventorySource> sources, PlanMaker planMaker, PlanRunner runner,
    ActionHistory history, KillSwitch killSwitch, Incidents.IncidentLog incidents, ActionMetrics metrics, Leadership.LeaseElector leadership, IOptions<ActionOptions> actionOptions,
    IOptions<InventoryOptions> inventoryOptions, TimeProvider time, ILogger<ActionEngine> logger) : BackgroundService
{
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal); // the dispatch loop's alone
    private readonly SemaphoreSlim _zoneGate = new(1, 1); // the zone lanes and the follow-ups, one at a time

    /// <summary>
    /// One lane: its queue and its memory of waiting alerts, touched by its own worker only. An alert's kind (and so its
    /// opposite) always routes to the same lane.
    /// </summary>
    private sealed class Lane(TimeProvider time, PlaybookTable playbooks, SemaphoreSlim? gate)
    {
        public readonly Channel<InboxEntry> Queue = Channel.CreateUnbounded<InboxEntry>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        public readonly WaitingAlerts Waits = new(time, playbooks);
        /// <summary>Held while an alert is handled: the capacity lane shares it with the follow-ups of its evacuations.</summary>
        public readonly SemaphoreSlim? Gate = gate;
        public Task Worker = Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = actionOptions.Value;
        var allowed = o.AllowedNodeGroups.Count == 0 ? "none (Actions:AllowedNodeGroups is empty)" : string.Join(", ", o.AllowedNodeGroups);
        var databases = o.AllowedDatabases.Count == 0 ? "none (Actions:AllowedDatabases is empty)" : string.Join(", ", o.AllowedDatabases);
        LogMode(logger, o.DryRun ? "dry-run: plans are logged and counted, nothing is changed (Actions:DryRun)" : "live", allowed, databases, killSwitch.Engaged);
        var started = time.GetUtcNow();
        metrics.TestFailoversRemaining(Math.Max(0, o.Policy().TestFailoverQuota - ActionBudget.TestFailoversLast24Hours(history.Snapshot(), started)));
        await WaitForInventoryAsync(stoppingToken).ConfigureAwait(false);
        var pruned = time.GetTimestamp();
        try
        {
            await foreach (var entry in inbox.Ready.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                LaneFor(entry.Alert, stoppingToken).Queue.Writer.TryWrite(entry);
                if (time.GetElapsedTime(pruned) > PruneEvery)
                {
                    inbox.Prune();
                    pruned = time.GetTimestamp();
                }
            }
        }
        finally
        {
            foreach (var lane in _lanes.Values) lane.Queue.Writer.TryComplete();
            await Task.WhenAll(_lanes.Values.Select(l => l.Worker)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A zone playbook's lane (one zone at a time, behind the gate its follow-ups share), or a resource's: playbook and
    /// resource. Started on first use.
    /// </summary>
    private Lane LaneFor(ReceivedAlert alert, CancellationToken stop)
    {
        var route = Route(alert);
        var key = route.Resource is null ? route.Playbook : $"{route.Playbook}/{route.Resource}";
        if (_lanes.TryGetValue(key, out var lane)) return lane;
        lane = new Lane(time, playbooks, route.Resource is null ? _zoneGate : null);
        lane.Worker = RunLaneAsync(lane, stop);
        _lanes[key] = lane;
        return lane;
    }

    private async Task RunLaneAsync(Lane lane, CancellationToken stop)
    {
        await Task.Yield();
        try
        {
            await foreach (var entry in lane.Queue.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                // A follower keeps what it accepted pending: it is acted on here once this replica leads.
                await leadership.LeadingAsync(stop).ConfigureAwait(false);
                if (lane.Gate is { } gate) await gate.WaitAsync(stop).ConfigureAwait(false);
                try
                {
                    await TakeAsync(lane, entry, stop).ConfigureAwait(false);
                }
                finally
                {
                    lane.Gate?.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // left pending: handled again after the restart
        }
    }

    private async Task TakeAsync(Lane lane, InboxEntry entry, CancellationToken stop)
    {
        if (!inbox.IsPending(entry)) return; // withdrawn: its write failed and Alertmanager sends it again
        incidents.AlertTaken(entry, Route(entry.Alert));
        try
        {
            if (lane.Waits.Superseded(entry))
            {
                LogSuperseded(logger, entry.Alert.Name, entry.Alert.Firing ? "firing" : "resolved", entry.Alert.Fingerprint);
                Finish(lane, entry);
            }
            else if (await HandleAsync(lane, entry, lane.Waits.IsWaiting(entry), stop).ConfigureAwait(false) is { } lookAgainIn)
            {
                lane.Waits.Wait(entry);
                _ = LookAgainLaterAsync(entry, lookAgainIn, stop);
            }
            else
            {
                Finish(lane, entry);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (Leadership.FencedException e)
        {
            // Not the leader of the plan's term any more: nothing more is called; the alert stays pending for when it leads.
            LogFenced(logger, e.Message, entry.Alert.Name, entry.Alert.Fingerprint);
            inbox.Requeue(entry);
        }
        catch (Exception e)
        {
            // Unexpected: say so with the alert, and do not take it again in a loop; a human reads the log.
            LogHandlingFailed(logger, e, entry.Alert.Name, entry.Alert.Fingerprint);
            Finish(lane, entry);
        }
    }

    private void Finish(Lane lane, InboxEntry entry)
    {
        lane.Waits.Finish(entry);
        inbox.Complete(entry);
        incidents.Handled(entry.Alert, Route(entry.Alert));
    }

    private AlertRoute Route(ReceivedAlert alert) => playbooks.Route(alert.Name, alert.Firing, alert.Labels, inventoryOptions.Value.ClusterName);

    /// <summary>Still pending in the inbox meanwhile: a restart plans it again at once.</summary>
    private async Task LookAgainLaterAsync(InboxEntry entry, TimeSpan after, CancellationToken stop)
    {
        try
        {
            await Task.Delay(after, time, stop).ConfigureAwait(false);
            inbox.Requeue(entry);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Nothing is planned from an empty inventory: the first refresh of every source comes first.</summary>
    private async Task WaitForInventoryAsync(CancellationToken stop)
    {
        if ((await store.WaitForFirstRefreshAsync(sources, actionOptions.Value.InventoryWait, time, stop).ConfigureAwait(false)).Count > 0)
            LogInventoryLate(logger, actionOptions.Value.InventoryWait.TotalSeconds);
    }

    /// <summary>
    /// Plans for one alert and carries the plan out; when it was refused only because of how things look now (the zone,
    /// a grace period), how long until it is worth planning again; null when the alert is done with.
    /// </summary>
    private async Task<TimeSpan?> HandleAsync(Lane lane, InboxEntry entry, bool rechecking, CancellationToken stop)
    {
        var alert = entry.Alert;
        ActivityContext.TryParse(entry.TraceParent, null, out var parent);
        using var activity = Observability.Source.StartActivity("drsentinel.alert", ActivityKind.Internal, parent);
        activity?.SetTag("alertname", alert.Name);
        activity?.SetTag("alert.status", alert.Firing ? "firing" : "resolved");
        activity?.SetTag("alert.fingerprint", alert.Fingerprint);
        var route = Route(alert);
        if (!route.Actionable) return null;
        activity?.SetTag("az", route.Zone);
        activity?.SetTag("playbook", route.Playbook);
        if (route.Resource is not null) activity?.SetTag("resource", route.Resource);
        activity?.SetTag("recheck", rechecking);
        var options = actionOptions.Value;
        var policy = options.Policy();
        var called = 0;
        var term = leadership.Term;
        void Calling() // from the node steps' parallel calls too; right before each mutating call
        {
            leadership.Fence(term);
            if (Interlocked.Exchange(ref called, 1) == 1 || rechecking) return; // a wait for the zone is not the engine's latency
            metrics.FirstCall(time.GetUtcNow() - entry.ReceivedAt);
        }

        for (var attempt = 1; ; attempt++)
        {
            var live = !options.DryRun && !killSwitch.Engaged;
            // The first plan comes from the snapshot (nodes are watched; groups are a refresh old, and updated after every
            // plan carried out), so the first call follows the alert within milliseconds. Acting on it is safe: every
            // mutating call reads its resource first, and a plan made from groups that changed comes back Stale. Any
            // other verdict is believed only once the groups are read again.
            var fresh = live && attempt > 1;
            var plan = await planMaker.PlanOrNothingAsync(route, alert, policy, refresh: fresh, stop).ConfigureAwait(false);
            if (plan is null) return options.RecheckEvery; // unreadable now: kept pending and planned again, never dropped
            if (live && !fresh && plan.Verdict != PlanVerdict.Act) continue;
            // Every guardrail that can refuse is judged on the whole plan before its first step: it runs whole or not at all.
            (plan, var running) = runner.Reserve(plan, alert.Episode);
            var waits = plan.Verdict == PlanVerdict.Refused && plan.WaitsForZone;
            var lookAgainIn = plan.RecheckAfter is { } after && after < options.RecheckEvery ? after : options.RecheckEvery;
            // Said once when the wait began, and again only when its reason changes (the grace ended, the zone healed).
            if (waits && lane.Waits.SameReason(entry, plan.ReasonCode, rechecking)) return lookAgainIn;
            var subject = plan.Resource is null ? plan.Zone : $"{plan.Resource} out of {plan.Zone}";
            runner.Decided(plan, subject, alert.Name, alert.Fingerprint);
            if (waits)
            {
                var (intent, until) = (plan.Intent.Label(), alert.Firing ? "resolved" : "firing again");
                LogWaiting(logger, intent, subject, lookAgainIn.TotalSeconds, until);
                return lookAgainIn;
            }
            if (plan is { Verdict: PlanVerdict.NoOp, Intent: PlanIntent.Restore, Resource: null })
                incidents.Restored(plan.Zone, $"nothing left to put back: {plan.Reason}");
            if (plan.Verdict != PlanVerdict.Act) return null;
            if (!running)
            {
                runner.NotActed(plan);
                return null;
            }
            StepOutcome result;
            try
            {
                result = await runner.ExecuteAsync(plan, alert.Episode, Calling, stop).ConfigureAwait(false);
            }
            finally
            {
                runner.Release(plan);
            }
            await planMaker.ReadAgainAsync(route, stop).ConfigureAwait(false); // the next alert's plan starts from what this one did
            if (result == StepOutcome.Success && plan is { Intent: PlanIntent.Restore, Resource: null })
                incidents.Restored(plan.Zone, $"what DrSentinel changed for {plan.Zone} is put back ({plan.Steps.Length} step(s))");
            if (result != StepOutcome.Stale) return null;
            if (attempt >= options.MaxReplans)
            {
                LogGaveUp(logger, subject, attempt);
                return null;
            }
        }
    }

    /// <summary>
    /// Carries out a follow-up plan of the capacity playbook (capacity that did not arrive, moved elsewhere; a zonal shift
    /// extended) behind the capacity lane and under the same guardrails as an alert's: the leader's term, the hourly cap,
    /// dry-run and the kill switch, the history, metrics, Events and the incident. <paramref name="episode"/> names the
    /// follow-up in the history.
    /// </summary>
    public async Task FollowUpAsync(Plan plan, string episode, CancellationToken stop)
    {
        await _zoneGate.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            await FollowUpGatedAsync(plan, episode, stop).ConfigureAwait(false);
        }
        finally
        {
            _zoneGate.Release();
        }
    }

    private async Task FollowUpGatedAsync(Plan plan, string episode, CancellationToken stop)
    {
        var term = leadership.Term;
        (plan, var running) = runner.Reserve(plan, episode);
        runner.Decided(plan, plan.Zone, "capacity follow-up", episode);
        if (plan.Verdict != PlanVerdict.Act) return;
        if (!running)
        {
            runner.NotActed(plan);
            return;
        }
        try
        {
            await runner.ExecuteAsync(plan, episode, () => leadership.Fence(term), stop).ConfigureAwait(false);
        }
        finally
        {
            runner.Release(plan);
        }
        await planMaker.ReadAgainAsync(new AlertRoute(plan.Intent, plan.Zone, plan.Playbook, null), stop).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = EventIds.ActionMode, Level = LogLevel.Warning, Message = "Action engine {Mode}; node groups it may change: {Allowed}; databases it may fail over: {Databases}; kill switch engaged: {KillSwitch}")]
    private static partial void LogMode(ILogger logger, string mode, string allowed, string databases, bool killSwitch);

    [LoggerMessage(EventId = EventIds.PlanWaitsForZone, Level = LogLevel.Information,
        Message = "Will plan to {Intent} {Subject} again in {Seconds:F0} s, and so on until it acts or the alert is {Until} (Actions:RecheckEvery)")]
    private static partial void LogWaiting(ILogger logger, string intent, string subject, double seconds, string until);

    [LoggerMessage(EventId = EventIds.PlanWaitEnded, Level = LogLevel.Information,
        Message = "Stopped waiting to act on {AlertName} ({AlertStatus}, fingerprint {Fingerprint}): the opposite alert for the zone has been handled since, or a newer one of its kind waits instead")]
    private static partial void LogSuperseded(ILogger logger, string alertName, string alertStatus, string fingerprint);

    [LoggerMessage(EventId = EventIds.PlanGaveUp, Level = LogLevel.Error, Message = "Gave up on {Subject} after {Attempts} plans: the state kept changing under them; a human must decide")]
    private static partial void LogGaveUp(ILogger logger, string subject, int attempts);

    [LoggerMessage(EventId = EventIds.HandlingFailed, Level = LogLevel.Error, Message = "Handling {AlertName} (fingerprint {Fingerprint}) failed unexpectedly; it is not retried")]
    private static partial void LogHandlingFailed(ILogger logger, Exception exception, string alertName, string fingerprint);

    [LoggerMessage(EventId = EventIds.Fenced, Level = LogLevel.Error,
        Message = "Fenced: {Why} ({AlertName}, fingerprint {Fingerprint}, kept pending for when this replica leads)")]
    private static partial void LogFenced(ILogger logger, string why, string alertName, string fingerprint);

    [LoggerMessage(EventId = EventIds.InventoryLate, Level = LogLevel.Warning, Message = "The inventory is not complete after {Seconds:F0} s; acting on what it has (every plan checks the zone first)")]
    private static partial void LogInventoryLate(ILogger logger, double seconds);
}
