namespace DrSentinel.Sandbox.Aws;

/// <summary>
/// AWS's wall clock, as the sandbox's AWS endpoints keep it: the real one, or off by a skew a test sets
/// (<c>POST /sandbox/aws/clock-skew?seconds=</c>), so that a client whose own clock is wrong can be shown. It signs the
/// <c>Date</c> of every answer and judges every request's <c>X-Amz-Date</c>.
/// </summary>
public sealed class AwsClock : TimeProvider
{
    private long _skewTicks;

    public TimeSpan Skew
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _skewTicks));
        set => Interlocked.Exchange(ref _skewTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Skew;
}
