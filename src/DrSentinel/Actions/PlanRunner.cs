using System.Diagnostics;
using DrSentinel.Metrics;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

/// <summary>
/// Carries a plan out under the guardrails, for the engine's lanes and for the follow-ups alike: the whole plan judged
/// against the budget before its first step (a plan that will run holds its steps against the hourly cap until it ends,
/// so two lanes cannot both pass it), dry-run and the kill switch (which holds even mid-plan), then step by step through
/// the executor, each outcome counted, logged, written to the history, the incident and a Kubernetes Event.
/// </summary>
public sealed partial class PlanRunner(
    StepExecutor executor, ActionEvents events, ActionHistory history, KillSwitch killSwitch, Incidents.IncidentLog incidents, ActionMetrics metrics,
    IOptions<ActionOptions> actionOptions, TimeProvider time, ILogger<PlanRunner> logger)
{
    private readonly Lock _budgetGate = new();
    private int _stepsInFlight; // of plans being carried out, in every lane; under _budgetGate

    /// <summary>
    /// Judges a plan that would act against the budget; a refused one comes back refused. Running: it is live (no dry-run,
    /// no kill switch) and holds its steps against the cap until <see cref="Release"/>.
    /// </summary>
    public (Plan Plan, bool Running) Reserve(Plan plan, string episode)
    {
        if (plan.Verdict != PlanVerdict.Act) return (plan, false);
        var options = actionOptions.Value;
        lock (_budgetGate)
        {
            if (history.Budget.Refusal(plan, episode, history.Snapshot(), time.GetUtcNow(), _stepsInFlight) is { } refusal) return (plan.RefusedBy(refusal), false);
            if (options.DryRun || killSwitch.Engaged) return (plan, false);
            _stepsInFlight += plan.Steps.Length;
            return (plan, true);
        }
    }

    public void Release(Plan plan)
    {
        lock (_budgetGate) _stepsInFlight -= plan.Steps.Length;
    }

    /// <summary>A plan's verdict, said once: counted, logged and written to the incident.</summary>
    public void Decided(Plan plan, string subject, string alertName, string fingerprint)
    {
        var (intent, verdict, findings) = (plan.Intent.Label(), plan.Verdict.ToString().ToLowerInvariant(), string.Join("; ", plan.Findings));
        metrics.Planned(plan.Playbook, intent, verdict, plan.ReasonCode);
        LogPlan(logger, intent, subject, verdict, plan.Reason, plan.Steps.Length, findings, alertName, fingerprint);
        incidents.Decided(plan, subject);
    }

    /// <summary>A plan that would act, not carried out (dry-run, or the kill switch): each step counted and said as such.</summary>
    public void NotActed(Plan plan)
    {
        var outcome = actionOptions.Value.DryRun ? "dry-run" : "killed";
        foreach (var step in plan.Steps)
        {
            metrics.Acted(plan.Playbook, step.Action, outcome, time.GetUtcNow());
            LogNotActed(logger, outcome, step.Describe());
            incidents.Acted(plan, step, outcome, "");
        }
    }

    /// <summary>The steps in order; stops at the first that is stale (plan again) or failed (a human finishes).</summary>
    public async Task<StepOutcome> ExecuteAsync(Plan plan, string episode, Action calling, CancellationToken stop)
    {
        var policy = actionOptions.Value.Policy();
        for (var index = 0; index < plan.Steps.Length; index++)
        {
            var step = plan.Steps[index];
            var described = step.Describe();
            if (killSwitch.Engaged) // a human's stop, which holds even mid-plan
            {
                metrics.Acted(plan.Playbook, step.Action, "killed", time.GetUtcNow());
                LogNotActed(logger, "killed", described);
                incidents.Acted(plan, step, "killed", "the kill switch was engaged mid-plan");
                LogLeftUndone(logger, plan.Intent.Label(), plan.Zone, LeftUndone(plan, index));
                return StepOutcome.Failed;
            }
            using var activity = Observability.Source.StartActivity("drsentinel.step");
            activity?.SetTag("action", step.Action);
            activity?.SetTag("resource", step.Resource);
            StepResult result;
            using (metrics.InFlight()) result = await executor.RunAsync(step, calling, stop).ConfigureAwait(false);
            var now = time.GetUtcNow();
            // Counted as what was done: a TestFailover refused and made up for with PrimaryClusterId is a promotion.
            metrics.Acted(plan.Playbook, result.ActionTaken ?? step.Action, result.Label, now);
            activity?.SetTag("outcome", result.Label);
            incidents.Acted(plan, step, result.Label, result.Detail);
            switch (result.Outcome)
            {
                case StepOutcome.Success:
                    await history.AddAsync(new ActionRecord(now, plan.Intent, step.Resource, result.ActionTaken ?? step.Action, episode)
                        { Subject = plan.Resource ?? plan.Zone, FollowUp = plan.FollowsUp }, stop).ConfigureAwait(false);
                    metrics.TestFailoversRemaining(Math.Max(0, policy.TestFailoverQuota - ActionBudget.TestFailoversLast24Hours(history.Snapshot(), now)));
                    LogActed(logger, described, result.Detail);
                    if (step.Kind is { } kind)
                        await events.ResourceAsync(kind, step.Resource, Reason(plan.Intent), $"DrSentinel: {described} ({plan.Zone})", warning: false, stop).ConfigureAwait(false);
                    break;
                case StepOutcome.AlreadyDone:
                    LogAlreadyDone(logger, described, result.Detail);
                    break;
                case StepOutcome.Stale:
                    LogStale(logger, described, result.Detail);
                    return StepOutcome.Stale;
                case StepOutcome.Refused:
                    LogRefusedByAws(logger, described, result.Detail);
                    if (step.Kind is { } refusedKind)
                        await events.ResourceAsync(refusedKind, step.Resource, Reason(plan.Intent) + "Refused", $"DrSentinel could not {described}: {result.Detail}", warning: true, stop).ConfigureAwait(false);
                    break;
                default:
                    activity?.SetStatus(ActivityStatusCode.Error, result.Detail);
                    LogStepFailed(logger, result.Error, described, result.Detail);
                    if (step.Kind is { } failedKind)
                        await events.ResourceAsync(failedKind, step.Resource, Reason(plan.Intent) + "Failed", $"DrSentinel could not {described}: {result.Detail}; a human must finish", warning: true, stop).ConfigureAwait(false);
                    LogLeftUndone(logger, plan.Intent.Label(), plan.Zone, LeftUndone(plan, index));
                    return StepOutcome.Failed;
            }
        }
        return StepOutcome.Success;
    }

    /// <summary>The steps from <paramref name="index"/> on, for the line that tells a human what is left to do by hand.</summary>
    private static string LeftUndone(Plan plan, int index) => string.Join("; ", plan.Steps.Skip(index).Select(s => s.Describe()));

    private static string Reason(PlanIntent intent) => intent switch
    {
        PlanIntent.Evacuate => "ZoneEvacuation",
        PlanIntent.Failover => "DatabaseFailover",
        _ => "ZoneRestore",
    };

    [LoggerMessage(EventId = EventIds.PlanMade, Level = LogLevel.Information,
        Message = "Plan to {Intent} {Subject}: {Verdict} — {Reason}; {Steps} step(s); findings: {Findings} (alert {AlertName}, fingerprint {Fingerprint})")]
    private static partial void LogPlan(ILogger logger, string intent, string subject, string verdict, string reason, int steps, string findings, string alertName, string fingerprint);

    [LoggerMessage(EventId = EventIds.StepNotActed, Level = LogLevel.Warning, Message = "{Mode}: would {Step}")]
    private static partial void LogNotActed(ILogger logger, string mode, string step);

    [LoggerMessage(EventId = EventIds.StepActed, Level = LogLevel.Warning, Message = "Acted: {Step} ({Detail})")]
    private static partial void LogActed(ILogger logger, string step, string detail);

    [LoggerMessage(EventId = EventIds.StepAlreadyDone, Level = LogLevel.Information, Message = "Already done: {Step} ({Detail})")]
    private static partial void LogAlreadyDone(ILogger logger, string step, string detail);

    [LoggerMessage(EventId = EventIds.StepRefusedByAws, Level = LogLevel.Warning, Message = "Refused by AWS, the plan goes on without it: {Step} ({Detail})")]
    private static partial void LogRefusedByAws(ILogger logger, string step, string detail);

    [LoggerMessage(EventId = EventIds.StepStale, Level = LogLevel.Warning, Message = "Not done, the state changed under the plan: {Step} ({Detail}); planning again")]
    private static partial void LogStale(ILogger logger, string step, string detail);

    [LoggerMessage(EventId = EventIds.PlanLeftUndone, Level = LogLevel.Error, Message = "The plan to {Intent} {Subject} stopped part-way; left undone: {Steps}")]
    private static partial void LogLeftUndone(ILogger logger, string intent, string subject, string steps);

    [LoggerMessage(EventId = EventIds.StepFailed, Level = LogLevel.Error, Message = "Failed: {Step} ({Detail}); the rest of the plan is not carried out: a human must finish it")]
    private static partial void LogStepFailed(ILogger logger, Exception? exception, string step, string detail);
}
