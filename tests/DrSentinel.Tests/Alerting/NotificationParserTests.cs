using System.Text;
using DrSentinel.Alerting;

namespace DrSentinel.Tests.Alerting;

public sealed class NotificationParserTests
{
    private const string Valid = """
        {"receiver":"drsentinel","status":"firing","alerts":[
          {"status":"firing","labels":{"alertname":"DrSentinelAzUnavailable","az":"eu-central-1a","cluster":"pyairtable"},
           "annotations":{"summary":"s"},"startsAt":"2026-11-25T03:00:00.123Z","endsAt":"0001-01-01T00:00:00Z",
           "generatorURL":"http://prometheus/graph","fingerprint":"a1b2c3d4e5f60718"},
          {"status":"resolved","labels":{"alertname":"DrSentinelAzUnreachable","az":"eu-central-1b"},
           "annotations":{},"startsAt":"2026-11-25T02:00:00Z","endsAt":"2026-11-25T02:30:00Z","generatorURL":"","fingerprint":"0f"}],
         "groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","version":"4","groupKey":"{}:{}",
         "truncatedAlerts":0,"aFieldFromTheFuture":{"x":[1,2]}}
        """;

    private static Notification Parse(string json) => NotificationParser.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Parse_Version4Body_ReadsEveryAlertWithItsOwnStatus()
    {
        var n = Parse(Valid);

        Assert.Equal(2, n.Alerts.Length);
        Assert.True(n.Alerts[0].Firing);
        Assert.False(n.Alerts[1].Firing);
        Assert.Equal("eu-central-1a", n.Alerts[0].Labels["az"]);
        Assert.Null(n.Alerts[0].EndsAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 2, 30, 0, TimeSpan.Zero), n.Alerts[1].EndsAt);
    }

    [Fact]
    public void DedupKey_SameAlertFromAnotherPeer_IsTheSame_AndDiffersByStartAndStatus()
    {
        var a = Parse(Valid).Alerts[0];
        var fromPeer = Parse(Valid.Replace("\"receiver\":\"drsentinel\"", "\"receiver\":\"other\"", StringComparison.Ordinal)).Alerts[0];
        var laterEpisode = Parse(Valid.Replace("03:00:00.123Z", "04:00:00Z", StringComparison.Ordinal)).Alerts[0];

        Assert.Equal(a.DedupKey, fromPeer.DedupKey);
        Assert.NotEqual(a.DedupKey, laterEpisode.DedupKey);
        Assert.NotEqual(a.DedupKey, (a with { Firing = false }).DedupKey);
        Assert.Equal(a.Episode, (a with { Firing = false }).Episode);
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("null", "null")]
    [InlineData("""{"version":"4","status":"firing","groupKey":"k"}""", "$.alerts is missing")]
    [InlineData("""{"version":4,"status":"firing","groupKey":"k","alerts":[]}""", "$.version")]
    [InlineData("""{"version":"4","status":"firing","groupKey":"k","alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-11-25T03:00:00Z","fingerprint":"zz"}]}""", "fingerprint")]
    [InlineData("""{"version":"4","status":"firing","groupKey":"k","alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"25/11/2026","fingerprint":"ab"}]}""", "$.alerts[0].startsAt")]
    [InlineData("""{"version":"4","status":"firing","groupKey":"k","alerts":[null]}""", "$.alerts[0] is null")]
    [InlineData("""{"version":"4","status":"firing","groupKey":"k","truncatedAlerts":-1,"alerts":[]}""", "truncatedAlerts")]
    public void Parse_Malformed_NamesWhatIsWrong(string json, string mentions)
    {
        var e = Assert.Throws<FormatException>(() => Parse(json));

        Assert.Contains(mentions, e.Message, StringComparison.Ordinal);
    }
}
