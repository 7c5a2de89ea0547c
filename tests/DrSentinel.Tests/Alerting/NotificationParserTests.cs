using System.Buffers;
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

    private const string OneAlert = """{"version":"4","status":"firing","receiver":"r","groupKey":"k","alerts":[{"status":"firing","labels":{"alertname":"A","az":"z"},"annotations":{"summary":"s"},"startsAt":"2026-11-25T03:00:00Z","fingerprint":"ab"}]}""";

    [Theory]
    [InlineData("\"az\":\"z\"", "\"az\":\"\xff\"")]        // a label value
    [InlineData("\"az\":\"z\"", "\"\xc3\":\"z\"")]          // a label name
    [InlineData("\"groupKey\":\"k\"", "\"groupKey\":\"k\xfe\"")]
    [InlineData("\"receiver\":\"r\"", "\"receiver\":\"\xc0\xaf\"")] // an overlong encoding
    [InlineData("\"summary\":\"s\"", "\"summary\":\"\xed\xa0\x80\"")] // a skipped field: a UTF-8 surrogate
    public void Parse_InvalidUtf8Anywhere_IsAFormatError(string field, string latin1Replacement)
    {
        var body = Encoding.Latin1.GetBytes(OneAlert.Replace(field, latin1Replacement, StringComparison.Ordinal));

        var e = Assert.Throws<FormatException>(() => NotificationParser.Parse(body));

        Assert.Contains("not valid UTF-8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EscapedLoneSurrogate_IsAFormatError()
    {
        var e = Assert.Throws<FormatException>(() => Parse(OneAlert.Replace("\"az\":\"z\"", "\"az\":\"\\ud800\"", StringComparison.Ordinal)));

        Assert.Contains("surrogate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CharacterSplitBetweenSegments_IsRead()
    {
        var bytes = Encoding.UTF8.GetBytes(OneAlert.Replace("\"az\":\"z\"", "\"az\":\"zone-\u00e9\"", StringComparison.Ordinal));
        var split = Array.IndexOf(bytes, (byte)0xc3) + 1; // between the two bytes of é
        var first = new Segment(bytes.AsMemory(0, split));
        var last = first.Append(bytes.AsMemory(split));

        var n = NotificationParser.Parse(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length));

        Assert.Equal("zone-\u00e9", n.Alerts[0].Labels["az"]);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }

    [Theory]
    [InlineData("{\"a\":1}")]
    [InlineData("garbage")]
    [InlineData("]")]
    [InlineData("\0")]
    [InlineData(" x")]
    public void Parse_DataAfterTheObject_IsAFormatError(string trailing)
    {
        var e = Assert.Throws<FormatException>(() => Parse(OneAlert + trailing));

        Assert.Contains("after the notification object", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TrailingWhitespace_IsAccepted() => Assert.Single(Parse(OneAlert + " \r\n\t").Alerts);

    [Theory]
    [InlineData("2026-01-01")]
    [InlineData("2026-01-01T00:00:00")]
    [InlineData("2026-01-01 00:00:00Z")]
    [InlineData("Thu, 01 Jan 2026 00:00:00 GMT")]
    [InlineData("2026-01-01T00:00:00.Z")]
    [InlineData("2026-01-01T00:00:00+0100")]
    [InlineData("2026-01-01t00:00:00z")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-01-01T00:00:00\\u005a")] // "Z" escaped: not how any Alertmanager writes it
    public void Parse_StartsAtNotRfc3339WithAZone_IsAFormatError(string startsAt)
    {
        var e = Assert.Throws<FormatException>(() => Parse(OneAlert.Replace("2026-11-25T03:00:00Z", startsAt, StringComparison.Ordinal)));

        Assert.Contains("$.alerts[0].startsAt", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-11-25T03:00:00Z")]
    [InlineData("2026-11-25T03:00:00.123456789Z")]
    [InlineData("2026-11-25T04:00:00+01:00")]
    [InlineData("2026-11-25T01:30:00-01:30")]
    public void Parse_StartsAtRfc3339_IsTheSameInstant(string startsAt)
    {
        var n = Parse(OneAlert.Replace("2026-11-25T03:00:00Z", startsAt, StringComparison.Ordinal));

        Assert.Equal(new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero), n.Alerts[0].StartsAt.AddTicks(-(n.Alerts[0].StartsAt.Ticks % TimeSpan.TicksPerSecond)));
    }
}
