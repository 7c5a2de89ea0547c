using DrSentinel.Alerting;
using DrSentinel.Inventory;
using DrSentinel.Planning;

namespace DrSentinel.Actions;

/// <summary>
/// Makes an alert's plan: from the snapshot, or from what its playbook acts on read again through the API first
/// (<see cref="IPlaybook.Reads"/>), by the playbook's own pure planner.
/// </summary>
public sealed partial class PlanMaker(PlaybookTable playbooks, InventoryStore store, IEnumerable<IInventorySource> sources, ActionHistory history, TimeProvider time, ILogger<PlanMaker> logger)
{
    /// <summary>
    /// Plans; null when what the playbook acts on cannot be read (the AWS client has already retried the reads with
    /// backoff: the one retry layer of a read). Nothing is changed then; the alert is planned again later.
    /// </summary>
    public async Task<Plan?> PlanOrNothingAsync(AlertRoute route, ReceivedAlert alert, ActionPolicy policy, bool refresh, CancellationToken stop)
    {
        try
        {
            return await PlanAsync(route, alert, policy, refresh, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Clients.Aws.AwsServiceException || StepExecutor.Transient(e, stop))
        {
            LogPlanFailed(logger, e, route.Playbook, route.Resource ?? route.Zone!);
            return null;
        }
    }

    public async Task ReadAgainAsync(AlertRoute route, CancellationToken stop)
    {
        try
        {
            await ReadAsync(route, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Clients.Aws.AwsServiceException || StepExecutor.Transient(e, stop))
        {
            LogGroupsNotReadAgain(logger, e); // the next plan that would act reads them itself
        }
    }

    /// <summary>
    /// Reads what the playbook acts on (<see cref="IPlaybook.Reads"/>: the Auto Scaling groups, the RDS instances, ...)
    /// through the API into the store now, ahead of each source's next refresh.
    /// </summary>
    private async Task<InventorySnapshot> ReadAsync(AlertRoute route, CancellationToken stop)
    {
        var snapshot = store.Current;
        foreach (var name in playbooks[route.Playbook].Reads)
            if (sources.FirstOrDefault(s => s.Name == name) is { } source)
                snapshot = store.Update(await source.RefreshAsync(snapshot, stop).ConfigureAwait(false));
        return snapshot;
    }

    private async Task<Plan> PlanAsync(AlertRoute route, ReceivedAlert alert, ActionPolicy policy, bool refresh, CancellationToken stop)
    {
        using var activity = Observability.Source.StartActivity("drsentinel.plan");
        // Read afresh when asked: the snapshot's AWS resources can be a refresh interval old, and an alert older still.
        var snapshot = refresh ? await ReadAsync(route, stop).ConfigureAwait(false) : store.Current;
        var now = time.GetUtcNow();
        var plan = playbooks.PlanFor(new PlanRequest(route, alert.Episode, alert.StartsAt, snapshot, policy, now,
            ActionBudget.TestFailoversLast24Hours(history.Snapshot(), now)));
        activity?.SetTag("plan.verdict", plan.Verdict.ToString());
        activity?.SetTag("plan.steps", plan.Steps.Length);
        return plan;
    }

    [LoggerMessage(EventId = EventIds.PlanFailed, Level = LogLevel.Error,
        Message = "Could not read what {Playbook} acts on to plan for {Subject} (Aws:MaxAttempts spent); nothing was changed, planning again in Actions:RecheckEvery")]
    private static partial void LogPlanFailed(ILogger logger, Exception exception, string playbook, string subject);

    [LoggerMessage(EventId = EventIds.GroupsNotReadAgain, Level = LogLevel.Warning, Message = "Could not read the Auto Scaling groups again after acting; the snapshot catches up at the next refresh")]
    private static partial void LogGroupsNotReadAgain(ILogger logger, Exception exception);
}
