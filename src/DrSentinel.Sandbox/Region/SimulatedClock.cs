namespace DrSentinel.Sandbox.Region;

/// <summary>Region time: runs <see cref="Speed"/> times faster than the wall clock so that a 90 s failover takes 1.5 s at speed 60.</summary>
public sealed class SimulatedClock : TimeProvider
{
    private readonly TimeProvider _real;
    private readonly DateTimeOffset _origin;
    private readonly long _realOriginTimestamp;

    public SimulatedClock(double speed, TimeProvider? real = null)
    {
        if (speed is <= 0 or > 10_000) throw new ArgumentOutOfRangeException(nameof(speed), speed, "speed must be in (0, 10000]");
        Speed = speed;
        _real = real ?? System;
        _origin = _real.GetUtcNow();
        _realOriginTimestamp = _real.GetTimestamp();
    }

    public double Speed { get; }

    public override DateTimeOffset GetUtcNow() =>
        _origin + _real.GetElapsedTime(_realOriginTimestamp) * Speed;

    /// <summary>How long on the wall clock a span of region time takes.</summary>
    public TimeSpan ToRealTime(TimeSpan regionTime) => regionTime / Speed;
}
