using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>The webhook against bad input: every request answered with its status, nothing queued, nothing changed.</summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private SandboxServer _sandbox = null!;
    private DrSentinelHost _host = null!;
    private string _state = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync(topology: Webhooks.PerZoneTopology());
        _state = Webhooks.NewStateDirectory();
        _host = await DrSentinelHost.StartAsync(_sandbox, Webhooks.ReceiverSettings(_state, dryRun: false, "workers"));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    public static TheoryData<string, string?, string, string, HttpStatusCode, string> BadRequests()
    {
        var valid = Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", "eu-central-1a"));
        string With(Action<JsonObject> change)
        {
            var copy = (JsonObject)valid.DeepClone();
            change(copy);
            return copy.ToJsonString();
        }
        var alert0 = (Func<JsonObject, JsonObject>)(n => (JsonObject)n["alerts"]![0]!);
        return new()
        {
            { "no credential", null, valid.ToJsonString(), "application/json", HttpStatusCode.Unauthorized, "credential" },
            { "wrong token", "not-the-token", valid.ToJsonString(), "application/json", HttpStatusCode.Unauthorized, "credential" },
            { "not JSON content", Webhooks.Token, valid.ToJsonString(), "text/plain", HttpStatusCode.UnsupportedMediaType, "application/json" },
            { "truncated", Webhooks.Token, valid.ToJsonString()[..60], "application/json", HttpStatusCode.BadRequest, "" },
            { "an array", Webhooks.Token, "[]", "application/json", HttpStatusCode.BadRequest, "$" },
            { "null", Webhooks.Token, "null", "application/json", HttpStatusCode.BadRequest, "null" },
            { "version 3", Webhooks.Token, With(n => n["version"] = "3"), "application/json", HttpStatusCode.BadRequest, "$.version" },
            { "no version", Webhooks.Token, With(n => n.Remove("version")), "application/json", HttpStatusCode.BadRequest, "$.version" },
            { "status unknown", Webhooks.Token, With(n => n["status"] = "pending"), "application/json", HttpStatusCode.BadRequest, "$.status" },
            { "no alerts", Webhooks.Token, With(n => n.Remove("alerts")), "application/json", HttpStatusCode.BadRequest, "$.alerts" },
            { "label not a string", Webhooks.Token, With(n => alert0(n)["labels"]!["severity"] = 3), "application/json", HttpStatusCode.BadRequest, "$.alerts[0].labels" },
            { "alerts not an array", Webhooks.Token, With(n => n["alerts"] = "x"), "application/json", HttpStatusCode.BadRequest, "$.alerts" },
            { "bad startsAt", Webhooks.Token, With(n => alert0(n)["startsAt"] = "yesterday"), "application/json", HttpStatusCode.BadRequest, "$.alerts[0].startsAt" },
            { "no fingerprint", Webhooks.Token, With(n => alert0(n).Remove("fingerprint")), "application/json", HttpStatusCode.BadRequest, "$.alerts[0].fingerprint" },
            { "alert status unknown", Webhooks.Token, With(n => alert0(n)["status"] = "pending"), "application/json", HttpStatusCode.BadRequest, "$.alerts[0].status" },
            { "no alertname", Webhooks.Token, With(n => ((JsonObject)alert0(n)["labels"]!).Remove("alertname")), "application/json", HttpStatusCode.BadRequest, "alertname" },
            { "look-alike content type jsonl", Webhooks.Token, valid.ToJsonString(), "application/jsonl", HttpStatusCode.UnsupportedMediaType, "application/json" },
            { "look-alike content type json-patch", Webhooks.Token, valid.ToJsonString(), "application/json-patch+json", HttpStatusCode.UnsupportedMediaType, "application/json" },
            { "a second object after it", Webhooks.Token, valid.ToJsonString() + valid.ToJsonString(), "application/json", HttpStatusCode.BadRequest, "after the notification object" },
            { "garbage after it", Webhooks.Token, valid.ToJsonString() + "garbage", "application/json", HttpStatusCode.BadRequest, "after the notification object" },
            { "a NUL after it", Webhooks.Token, valid.ToJsonString() + "\0", "application/json", HttpStatusCode.BadRequest, "after the notification object" },
            { "startsAt without a zone", Webhooks.Token, With(n => alert0(n)["startsAt"] = "2026-01-01T00:00:00"), "application/json", HttpStatusCode.BadRequest, "$.alerts[0].startsAt" },
            { "startsAt a date", Webhooks.Token, With(n => alert0(n)["startsAt"] = "2026-01-01"), "application/json", HttpStatusCode.BadRequest, "$.alerts[0].startsAt" },
            { "startsAt an HTTP date", Webhooks.Token, With(n => alert0(n)["startsAt"] = "Thu, 01 Jan 2026 00:00:00 GMT"), "application/json", HttpStatusCode.BadRequest, "$.alerts[0].startsAt" },
            { "latin1: invalid UTF-8 in a label value", Webhooks.Token, valid.ToJsonString().Replace("\"critical\"", "\"crit\u00ffcal\"", StringComparison.Ordinal), "application/json", HttpStatusCode.BadRequest, "UTF-8" },
            { "latin1: invalid UTF-8 in the group key", Webhooks.Token, valid.ToJsonString().Replace("\"groupKey\":\"{}", "\"groupKey\":\"\u00e9{}", StringComparison.Ordinal), "application/json", HttpStatusCode.BadRequest, "UTF-8" },
            { "oversized", Webhooks.Token, With(n => alert0(n)["annotations"]!["description"] = new string('x', 2 * 1024 * 1024)), "application/json", HttpStatusCode.RequestEntityTooLarge, "bytes" },
        };
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_AnsweredWithItsStatusAndReason_QueuesAndChangesNothing(string name, string? token, string body, string contentType, HttpStatusCode expected, string mentions)
    {
        // The zone is really down: had the request been taken, there would be something to do.
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await control.PostAsync("sandbox/zones/eu-central-1a/fail?mode=hard", null)).EnsureSuccessStatusCode();
        var before = Webhooks.ChangeableState(_sandbox);

        // "latin1:" cases send their text as Latin-1 bytes: what a sender that does not write UTF-8 puts on the wire.
        var bytes = name.StartsWith("latin1:", StringComparison.Ordinal) ? Encoding.Latin1.GetBytes(body) : Encoding.UTF8.GetBytes(body);
        using var response = await Webhooks.PostAsync(_host.Http, bytes, token, contentType);

        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{name}: {response.StatusCode} {answer}");
        Assert.Contains(mentions, answer, StringComparison.Ordinal);
        if (expected == HttpStatusCode.Unauthorized) Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(0, Webhooks.AcceptedInInbox(_state));
        Assert.False(_host.HasExited);
        Assert.True((await _host.Http.GetAsync("readyz")).IsSuccessStatusCode);
        var samples = await _host.ScrapeAsync();
        Assert.Equal(1, samples.Value("drsentinel_webhook_requests_total", ("code", ((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal(before, Webhooks.ChangeableState(_sandbox));
    }

    [Fact]
    public async Task UnknownAndOtherClusterAlerts_Answered202AndCounted_NotActedOn()
    {
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await control.PostAsync("sandbox/zones/eu-central-1a/fail?mode=hard", null)).EnsureSuccessStatusCode();
        var before = Webhooks.ChangeableState(_sandbox);
        var body = Webhooks.Notification(
            Webhooks.Alert("SomethingElseEntirely", "eu-central-1a", fingerprint: "0101"),
            Webhooks.Alert("DrSentinelAzUnavailable", "eu-central-1a", cluster: "another-cluster", fingerprint: "0202"));
        ((JsonObject)body["alerts"]![1]!)["unknownField"] = "ignored";
        body["somethingNew"] = new JsonObject { ["x"] = 1 };

        using var response = await Webhooks.PostAsync(_host.Http, body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains("\"ignored\":2", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var samples = await _host.ScrapeAsync();
        Assert.Equal(1, samples.Value("drsentinel_webhook_alerts_total", ("playbook", "none"), ("status", "firing"), ("outcome", "not-actionable")));
        Assert.Equal(1, samples.Value("drsentinel_webhook_alerts_total", ("playbook", "none"), ("status", "firing"), ("outcome", "other-cluster")));
        Assert.Equal(0, Webhooks.AcceptedInInbox(_state));
        Assert.Equal(before, Webhooks.ChangeableState(_sandbox));
    }
}
