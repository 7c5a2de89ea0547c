using System.Net;
using System.Net.Http.Headers;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>
/// GET /: after a hard failure of a zone and DrSentinel's evacuation, the page as headless chromium renders it (JavaScript
/// off, a phone's screen) shows the zone unavailable and the open incident; it loads nothing from elsewhere; with an
/// operators' token set it is behind it.
/// </summary>
public sealed class StatusPageTests : IAsyncLifetime
{
    private const string Zone = "eu-central-1a";
    private readonly List<IAsyncDisposable> _servers = [];
    private SandboxServer _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = Own(await Sandboxes.StartAsync(speed: 100, topology: Webhooks.PerZoneTopology()));

    public async Task DisposeAsync()
    {
        for (var i = _servers.Count - 1; i >= 0; i--) await _servers[i].DisposeAsync();
    }

    private T Own<T>(T server) where T : IAsyncDisposable
    {
        _servers.Add(server);
        return server;
    }

    [Fact]
    public async Task AfterAHardZoneFailure_ThePageShowsTheZoneUnavailableAndTheOpenIncident()
    {
        var state = Webhooks.NewStateDirectory();
        var host = Own(await DrSentinelHost.StartAsync(_sandbox, "--Receiver:Enabled=true", "--Receiver:AllowUnauthenticated=true", $"--Receiver:StateDirectory={state}",
            "--Actions:DryRun=false", "--Actions:AllowedNodeGroups:0=workers"));
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "unavailable")) == 1, TimeSpan.FromSeconds(30), "the zone unavailable");
        using var posted = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone, startsAt: DateTimeOffset.UtcNow)).ToJsonString(), token: null);
        posted.EnsureSuccessStatusCode();
        var (id, _) = await Webhooks.IncidentAsync(host, Zone, t => t.Any(e => e.Kind == "Action" && e.Outcome == "success"), TimeSpan.FromSeconds(30), "the evacuation recorded");

        // What a browser makes of it: Debian's chromium, headless, scripts off, a phone's screen.
        await using var chromium = await HeadlessChromium.StartAsync();
        var rendered = await chromium.RenderAsync(new Uri(host.Address, "/"), scripts: false);
        var page = rendered.Html;

        Assert.Contains($"<td>{Zone}</td><td>unavailable</td>", page, StringComparison.Ordinal);
        Assert.Contains($"Open: {id}", page, StringComparison.Ordinal);
        Assert.Contains("cordon", page, StringComparison.Ordinal);
        Assert.Contains("Live: DrSentinel acts on its alerts", page, StringComparison.Ordinal);
        Assert.Contains("<h2>Ready for a zone loss: ", page, StringComparison.Ordinal); // the readiness checks' last verdict
        Assert.Contains("<td>kill-switch</td><td>ready</td>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", page, StringComparison.OrdinalIgnoreCase);
        Assert.InRange(rendered.ContentWidth, 1, 390); // readable on a phone: nothing wider than its screen
        // The switch does turn scripts off: a page whose script would rewrite it stays as written, and runs with them on.
        const string probe = "data:text/html,<p id=x>off</p><script>document.getElementById('x').textContent='on'</script>";
        Assert.Contains(">off<", (await chromium.RenderAsync(new Uri(probe), scripts: false)).Html, StringComparison.Ordinal);
        Assert.Contains(">on<", (await chromium.RenderAsync(new Uri(probe), scripts: true)).Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithAnOperatorsToken_ThePageIsBehindIt()
    {
        var host = Own(await DrSentinelHost.StartAsync(_sandbox, Webhooks.ReceiverSettings(Webhooks.NewStateDirectory(), dryRun: true)));

        using var anonymous = await host.Http.GetAsync("");
        using var request = new HttpRequestMessage(HttpMethod.Get, "");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Webhooks.OperatorToken);
        using var operatorAnswer = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, operatorAnswer.StatusCode);
        Assert.Equal("text/html", operatorAnswer.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Dry-run: DrSentinel plans, changes nothing", await operatorAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
