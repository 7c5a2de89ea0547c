using DrSentinel.Actions;
using DrSentinel.Clients.Aws;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DrSentinel.Tests.Actions;

/// <summary>The executor finds the handler that takes a step and gives it the one retry layer, on a clock the test moves.</summary>
public sealed class StepExecutorTests
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(200);
    private static readonly PlanStep Step = new UpdateGroup("ng-b", new GroupSettings(0, 3, [], []), new GroupSettings(0, 5, [], []));
    private readonly CountingTime _time = new();


    /// <summary>A handler that answers each attempt from a script: an exception is thrown, a result returned.</summary>
    private sealed class ScriptedHandler(params object[] answers) : IStepHandler
    {
        public int Attempts { get; private set; }

        public bool RetriesItself { get; init; }

        public bool Takes(PlanStep planStep) => planStep is UpdateGroup;

        public Task<StepResult> RunAsync(PlanStep planStep, Action calling, CancellationToken cancel)
        {
            var answer = answers[Math.Min(Attempts++, answers.Length - 1)];
            calling();
            return answer is Exception e ? Task.FromException<StepResult>(e) : Task.FromResult((StepResult)answer);
        }
    }

    private StepExecutor Executor(IStepHandler handler, int maxAttempts = 4) =>
        new([handler], new StepRetries(Options.Create(new ActionOptions { MaxAttempts = maxAttempts, RetryBaseDelay = Base }), _time, NullLogger<StepRetries>.Instance));

    private static AwsServiceException Aws(string code, int status) => new("autoscaling", "UpdateAutoScalingGroup", code, "no", status, "req-1");

    /// <summary>
    /// Runs the step, moving the clock through each backoff the executor waits out: nothing is retried a millisecond
    /// before the backoff is over, and the next attempt follows once it is.
    /// </summary>
    private async Task<StepResult> RunAsync(StepExecutor executor, ScriptedHandler handler, params TimeSpan[] backoffs)
    {
        var running = executor.RunAsync(Step, () => { }, CancellationToken.None);
        for (var i = 0; i < backoffs.Length; i++)
        {
            var waiting = i + 1;
            await UntilAsync(() => _time.Timers == waiting, "the executor waits out its backoff");
            var attempts = handler.Attempts;
            _time.Advance(backoffs[i] - TimeSpan.FromMilliseconds(1));
            Assert.Equal(attempts, handler.Attempts);
            _time.Advance(TimeSpan.FromMilliseconds(1));
            await UntilAsync(() => handler.Attempts > attempts, "the next attempt after the backoff");
        }
        var result = await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(backoffs.Length, _time.Timers); // no wait the test did not expect
        return result;
    }

    /// <summary>Polls with a deadline (continuations started by the fake clock's timers may run on the thread pool).</summary>
    private static async Task UntilAsync(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not within 10 s");
            await Task.Delay(1);
        }
    }

    [Fact]
    public async Task ThrottledThenTaken_RetriedOnceAfterTheBaseDelay_Success()
    {
        var handler = new ScriptedHandler(Aws("Throttling", 400), StepResult.Changed("taken"));

        var result = await RunAsync(Executor(handler), handler, Base);

        Assert.Equal((StepOutcome.Success, 2), (result.Outcome, handler.Attempts));
    }

    [Fact]
    public async Task AnAttemptAfterAFailure_FindsItAlreadyDone_ThatIsTheEarlierCallsDoing()
    {
        // The first call landed but its answer was lost (a 5xx): the retry reads the group again and finds it done.
        var handler = new ScriptedHandler(Aws("InternalFailure", 500), StepResult.Done("already at the target"));

        var result = await RunAsync(Executor(handler), handler, Base);

        Assert.Equal(StepOutcome.Success, result.Outcome);
    }

    [Fact]
    public async Task ScalingActivityInProgress_IsNotNow_RetriedWithDoublingBackoff()
    {
        var handler = new ScriptedHandler(Aws("ScalingActivityInProgress", 400), Aws("ScalingActivityInProgress", 400), StepResult.Changed("taken"));

        var result = await RunAsync(Executor(handler), handler, Base, Base * 2);

        Assert.Equal((StepOutcome.Success, 3), (result.Outcome, handler.Attempts));
    }

    [Fact]
    public async Task ARefusal_IsNotRetried_TheStepFailsAtOnce()
    {
        var handler = new ScriptedHandler(Aws("ValidationError", 400), StepResult.Changed("never"));

        var result = await RunAsync(Executor(handler), handler);

        Assert.Equal((StepOutcome.Failed, 1), (result.Outcome, handler.Attempts));
        Assert.IsType<AwsServiceException>(result.Error);
    }

    [Fact]
    public async Task TransientEveryTime_GivesUpAfterMaxAttempts()
    {
        var handler = new ScriptedHandler(Aws("InternalFailure", 500));

        var result = await RunAsync(Executor(handler, maxAttempts: 3), handler, Base, Base * 2);

        Assert.Equal((StepOutcome.Failed, 3), (result.Outcome, handler.Attempts));
        Assert.Contains("gave up after 3 attempt(s)", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHandlerThatRetriesItsOwnParts_IsNotRetriedWhole()
    {
        var handler = new ScriptedHandler(Aws("InternalFailure", 500)) { RetriesItself = true };

        await Assert.ThrowsAsync<AwsServiceException>(() => Executor(handler).RunAsync(Step, () => { }, CancellationToken.None));
        Assert.Equal(1, handler.Attempts);
    }

    [Fact]
    public async Task AStepNoHandlerTakes_IsAnErrorNamingIt()
    {
        var executor = Executor(new ScriptedHandler(StepResult.Changed("x")));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => executor.RunAsync(new ClearGroupLedger("ng-b"), () => { }, CancellationToken.None));

        Assert.Contains(nameof(ClearGroupLedger), error.Message, StringComparison.Ordinal);
    }
}
