using DrSentinel.Inventory;

namespace DrSentinel.Tests.Inventory;

public sealed class ZoneKubeletsTests
{
    private static readonly DateTimeOffset T = new(2026, 12, 7, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Judge_ZoneWhoseEveryKubeletMissedMoreThanOneAndAHalfRenewals_IsSilent()
    {
        var judged = ZoneKubelets.Judge(
        [
            ("eu-central-1a", T, 40), ("eu-central-1a", T.AddSeconds(-4), 40),
            ("eu-central-1b", T.AddSeconds(16), 40), ("eu-central-1c", T.AddSeconds(12), 40),
        ]);

        var a = Assert.Single(judged, k => k.Zone == "eu-central-1a");
        Assert.Equal((2, TimeSpan.FromSeconds(16), TimeSpan.FromSeconds(15), true), (a.Nodes, a.Behind, a.SilentAfter, a.Silent));
        Assert.All(judged.Where(k => k.Zone != "eu-central-1a"), k => Assert.False(k.Silent));
    }

    [Fact]
    public void Judge_OneLiveKubeletInTheZone_IsNotSilent_AndOneRenewalBehindIsNormal()
    {
        var judged = ZoneKubelets.Judge(
        [
            ("eu-central-1a", T.AddSeconds(-60), 40), ("eu-central-1a", T.AddSeconds(1), 40),
            ("eu-central-1b", T.AddSeconds(11), 40),
        ]);

        Assert.All(judged, k => Assert.False(k.Silent));
        Assert.Equal(TimeSpan.FromSeconds(10), judged.Single(k => k.Zone == "eu-central-1a").Behind);
    }

    [Fact]
    public void Judge_ShorterLeases_JudgeSooner_AndOneZoneAloneGetsNoVerdict()
    {
        var judged = ZoneKubelets.Judge([("eu-central-1a", T, 20), ("eu-central-1b", T.AddSeconds(8), 40)]);
        Assert.True(judged.Single(k => k.Zone == "eu-central-1a").Silent); // 8 s behind, 7.5 s allowed at a 20 s lease

        Assert.Empty(ZoneKubelets.Judge([("eu-central-1a", T, 40), ("eu-central-1a", T.AddSeconds(-30), 40)]));
    }
}
