using System.Net;
using DrSentinel.Clients.Aws;
using DrSentinel.Planning;
using k8s.Autorest;
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

    /// <summary>The call was made and taken.</summary>
    public static StepResult Changed(string detail) => new(StepOutcome.Success, detail);

    /// <summary>Already in effect: nothing was called.</summary>
    public static StepResult Done(string detail) => new(StepOutcome.AlreadyDone, detail);

    /// <summary>The resource is no longer as the plan was made from: nothing was called, the plan is made again.</summary>
    public static StepResult Stale(string detail) => new(StepOutcome.Stale, detail);
}

/// <summary>
/// Carries out the steps of one or more kinds against the real APIs: read the resource again, then make the call. Each
/// playbook's folder has its own (registered in AddActions); the executor finds the one that takes a step.
/// </summary>
public interface IStepHandler
{
    bool Takes(PlanStep planStep);

    /// <summary>True when the step is many calls, each retried on its own (the nodes of a cordon): not retried whole.</summary>
    bool RetriesItself => false;

    /// <summary>Runs <paramref name="planStep"/>; <paramref name="calling"/> is told right before each mutating call.</summary>
    Task<StepResult> RunAsync(PlanStep planStep, Action calling, CancellationToken cancel);
}

/// <summary>
/// Carries out one plan step through the handler that takes it. Before every mutating call the handler reads the resource
/// again: a step already in effect is not repeated, and a resource no longer in the state the plan was made from is not
/// touched (the plan is made again). A failed call is retried with backoff after reading again (<see cref="StepRetries"/>),
/// so a call that landed although its answer was lost is not sent twice.
/// </summary>
public sealed class StepExecutor(IEnumerable<IStepHandler> handlers, StepRetries retries)
{
    private readonly IStepHandler[] _handlers = [.. handlers];

    /// <summary>Runs <paramref name="step"/>; <paramref name="calling"/> is told before each mutating call.</summary>
    public Task<StepResult> RunAsync(PlanStep step, Action calling, CancellationToken cancel)
    {
        var handler = _handlers.FirstOrDefault(h => h.Takes(step))
            ?? throw new InvalidOperationException($"no step handler takes {step.GetType().Name}: register its playbook's handlers in AddActions");
        return handler.RetriesItself ? handler.RunAsync(step, calling, cancel) : retries.RunAsync(step, () => handler.RunAsync(step, calling, cancel), cancel);
    }

    /// <summary>A failure worth another attempt after reading again: throttled, 5xx, a timeout, the connection.</summary>
    internal static bool Transient(Exception e, CancellationToken cancel) => StepRetries.Transient(e, cancel);
}

/// <summary>
/// The step's one retry layer: a transient failure (<see cref="Transient"/>) is tried again after <see cref="ActionOptions.RetryDelay"/>,
/// up to <see cref="ActionOptions.MaxAttempts"/>; each attempt reads the resource again first, inside the handler.
/// </summary>
public sealed partial class StepRetries(IOptions<ActionOptions> options, TimeProvider time, ILogger<StepRetries> logger)
{
    public async Task<StepResult> RunAsync(PlanStep step, Func<Task<StepResult>> attempt, CancellationToken cancel)
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
    public static bool Transient(Exception e, CancellationToken cancel) => e switch
    {
        // Auto Scaling's ScalingActivityInProgress (400) says only that an activity runs now: read again, try again.
        AwsServiceException aws => aws.IsThrottling || aws.HttpStatus is null or >= 500 || aws.Code == "ScalingActivityInProgress",
        HttpOperationException k => k.Response.StatusCode is HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError,
        OperationCanceledException => !cancel.IsCancellationRequested, // a timeout, not shutdown
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };

    [LoggerMessage(EventId = EventIds.StepRetry, Level = LogLevel.Warning, Message = "{Action} on {Resource} failed (attempt {Attempt}); reading it again and retrying in {DelayMs:F0} ms")]
    private static partial void LogStepRetry(ILogger logger, Exception exception, string action, string resource, int attempt, double delayMs);
}
