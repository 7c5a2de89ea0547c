using DrSentinel.Sandbox.Region;
using Microsoft.Extensions.Time.Testing;

namespace DrSentinel.Tests.Sandbox;

public sealed class SimulatedClockTests
{
    [Fact]
    public void GetUtcNow_RunsSpeedTimesFasterThanTheWallClock()
    {
        var wall = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero));
        var clock = new SimulatedClock(60, wall);
        var start = clock.GetUtcNow();

        wall.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(TimeSpan.FromMinutes(2), clock.GetUtcNow() - start);
        Assert.Equal(TimeSpan.FromSeconds(1.5), clock.ToRealTime(TimeSpan.FromSeconds(90)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(20_000)]
    public void Constructor_SpeedOutOfRange_Throws(double speed) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedClock(speed));
}
