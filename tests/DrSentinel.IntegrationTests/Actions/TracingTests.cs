using System.Net;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>With the standard OTLP variables set, an alert's handling is one trace: webhook → alert → plan → steps → API calls.</summary>
public sealed class TracingTests : IAsyncLifetime
{
    private const string Zone = "eu-central-1a";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private SandboxServer _sandbox = null!;
    private OtlpTraceReceiver _collector = null!;
    private DrSentinelHost _host = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync(topology: Webhooks.PerZoneTopology());
        _collector = new OtlpTraceReceiver();
        _host = await DrSentinelHost.StartWithEnvironmentAsync(_sandbox, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _collector.Endpoint.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        }, Webhooks.ReceiverSettings(Webhooks.NewStateDirectory(), dryRun: false, "workers"));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _collector.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task Evacuation_ExportsOneTraceFromTheWebhookToEveryApiCall()
    {
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();
        await _host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "unavailable")) == 1, Deadline, "zone unavailable");

        using (var response = await Webhooks.PostAsync(_host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var spans = await Poll.UntilAsync(() => Task.FromResult(_collector.Spans),
            // The alert's span ends after its last step's, and may be exported in a later batch: wait for it too.
            s => s.Count(x => x.Name == "aws autoscaling UpdateAutoScalingGroup") == 2 && s.Any(x => x.Name == "drsentinel.alert"), Deadline,
            "the spans of the evacuation exported");
        var root = spans.SingleOrDefault(s => s.Name == "alertmanager webhook")
            ?? throw new Xunit.Sdk.XunitException("no webhook span among: " + string.Join(", ", spans.Select(s => $"{s.Name} {s.TraceId[..6]} {s.SpanId[..6]}<-{s.ParentSpanId?[..6]}")));
        Assert.Null(root.ParentSpanId);
        var trace = spans.Where(s => s.TraceId == root.TraceId).ToDictionary(s => s.SpanId);
        ReceivedSpan ParentOf(ReceivedSpan s) => trace[s.ParentSpanId!];
        var alert = Assert.Single(trace.Values, s => s.Name == "drsentinel.alert");
        Assert.Equal(root.SpanId, alert.ParentSpanId);
        Assert.Contains(trace.Values, s => s.Name == "drsentinel.plan" && s.ParentSpanId == alert.SpanId);
        var steps = trace.Values.Where(s => s.Name == "drsentinel.step").ToList();
        Assert.Equal(5, steps.Count); // cordon, and ledger + update for each of the two sibling groups
        Assert.All(steps, s => Assert.Equal(alert.SpanId, s.ParentSpanId));
        var updates = trace.Values.Where(s => s.Name == "aws autoscaling UpdateAutoScalingGroup").ToList();
        Assert.Equal(2, updates.Count);
        Assert.All(updates, u => Assert.Equal("drsentinel.step", ParentOf(u).Name));
        Assert.Contains(trace.Values, s => s.Name == "kubernetes cordon node" && ParentOf(s).Name == "drsentinel.step");
    }
}
