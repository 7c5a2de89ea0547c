using DrSentinel.Actions;
using DrSentinel.Alerting;
using DrSentinel.Planning;
using DrSentinel.Playbooks;
using Microsoft.Extensions.Time.Testing;

namespace DrSentinel.Tests.Actions;

/// <summary>When a waiting alert is over, on a clock the test moves: the engine's lanes ask exactly these questions.</summary>
public sealed class WaitingAlertsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero));

    private InboxEntry Entry(string name = "DrSentinelAzUnavailable", string az = "eu-central-1a", bool firing = true, string fingerprint = "f1",
        int startedMinutesAgo = 0) =>
        new(new ReceivedAlert(name, firing, new Dictionary<string, string> { ["alertname"] = name, ["az"] = az },
            _time.GetUtcNow().AddMinutes(-startedMinutesAgo), null, fingerprint, null, "{}:{}"), _time.GetUtcNow(), null);

    [Fact]
    public void NotWaiting_NeverSuperseded()
    {
        var waits = new WaitingAlerts(_time, BuiltInPlaybooks.Table);
        var firing = Entry();
        waits.Finish(Entry(firing: false));

        Assert.False(waits.IsWaiting(firing));
        Assert.False(waits.Superseded(firing));
    }

    [Fact]
    public void ResolutionHandledAfterTheWaitBegan_EndsTheWait()
    {
        var waits = new WaitingAlerts(_time, BuiltInPlaybooks.Table);
        var firing = Entry();
        waits.Wait(firing);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(waits.Superseded(firing));

        waits.Finish(Entry(firing: false));

        Assert.True(waits.Superseded(firing));
    }

    [Fact]
    public void ResolutionHandledBeforeTheWaitBegan_DoesNotEndIt()
    {
        var waits = new WaitingAlerts(_time, BuiltInPlaybooks.Table);
        waits.Finish(Entry(firing: false));
        _time.Advance(TimeSpan.FromMinutes(5));
        var firingAgain = Entry(fingerprint: "f1", startedMinutesAgo: 0);

        waits.Wait(firingAgain);

        Assert.False(waits.Superseded(firingAgain));
    }

    [Fact]
    public void ResolutionOfAnotherZone_DoesNotEndTheWait()
    {
        var waits = new WaitingAlerts(_time, BuiltInPlaybooks.Table);
        var firing = Entry(az: "eu-central-1a");
        waits.Wait(firing);
        _time.Advance(TimeSpan.FromSeconds(1));

        waits.Finish(Entry(az: "eu-central-1b", firing: false));

        Assert.False(waits.Superseded(firing));
    }

    [Fact]
    public void NewerAlertOfTheSameKindWaits_TheOlderIsOver_TheNewerIsNot()
    {
        var waits = new WaitingAlerts(_time, BuiltInPlaybooks.Table);
        var older = Entry(fingerprint: "f1", startedMinutesAgo: 10);
        var newer = Entry(fingerprint: "f1", startedMinutesAgo: 1);
        waits.Wait(older);
        _time.Advance(TimeSpan.FromSeconds(30));

        waits.Wait(newer);

        Assert.True(waits.Superseded(older));
        Assert.False(waits.Superseded(newer));
    }

    [Fact]
    public void WaitBeganOnce_ItsStartStaysWhenItWaitsAgain()
    {
        var waits = new WaitingAlerts(_time, BuiltInPlaybooks.Table);
        var firing = Entry();
        waits.Wait(firing);
        _time.Advance(TimeSpan.FromMinutes(1));
        waits.Finish(Entry(firing: false));
        _time.Advance(TimeSpan.FromMinutes(1));

        waits.Wait(firing); // a recheck that waits again does not move the start past the resolution

        Assert.True(waits.Superseded(firing));
    }

    [Fact]
    public void SameReason_SaidOnceThenOnlyWhenItChanges()
    {
        var waits = new WaitingAlerts(_time, BuiltInPlaybooks.Table);
        var firing = Entry(name: "DrSentinelRdsPrimaryInImpairedAz");

        Assert.False(waits.SameReason(firing, "grace-period", rechecking: false));
        Assert.True(waits.SameReason(firing, "grace-period", rechecking: true));
        Assert.False(waits.SameReason(firing, "zone-healthy", rechecking: true));
        Assert.True(waits.SameReason(firing, "zone-healthy", rechecking: true));
        waits.Finish(firing);
        Assert.False(waits.SameReason(firing, "zone-healthy", rechecking: true));
    }
}
