using Microsoft.Extensions.Time.Testing;

namespace DrSentinel.Tests;

/// <summary>
/// A fake clock that counts the timers started on it (a delay, a backoff, a timeout), so a test knows when the code
/// waits before it advances the clock past the wait.
/// </summary>
internal sealed class CountingTime(DateTimeOffset start) : FakeTimeProvider(start)
{
    private int _timers;

    public CountingTime() : this(new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero))
    {
    }

    public int Timers => Volatile.Read(ref _timers);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        // Counted once registered: a test that sees the count may advance the clock past it.
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timers);
        return timer;
    }
}
