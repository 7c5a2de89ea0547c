using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>The plan preview and the runtime kill switch, behind the operators' own credential.</summary>
public sealed class ActionEndpointTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private SandboxServer _sandbox = null!;
    private DrSentinelHost _host = null!;
    private string _state = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync(topology: Webhooks.PerZoneTopology(perZone: 3, maxPerZone: 4));
        _state = Webhooks.NewStateDirectory();
        _host = await DrSentinelHost.StartAsync(_sandbox, Webhooks.ReceiverSettings(_state, dryRun: false, "workers"));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token = Webhooks.OperatorToken)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _host.Http.SendAsync(request);
    }

    [Fact]
    public async Task Preview_EveryZone_PlansItsLossWithinMaxSize_AndChangesNothing()
    {
        var before = Webhooks.ChangeableState(_sandbox);

        using var response = await SendAsync(HttpMethod.Get, "actions/preview");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var plans = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
        Assert.Equal(["eu-central-1a", "eu-central-1b", "eu-central-1c"], plans.Select(p => p.GetProperty("zone").GetString()));
        Assert.All(plans, p =>
        {
            Assert.Equal("act", p.GetProperty("verdict").GetString());
            Assert.Equal(3, p.GetProperty("lostCapacity").GetInt32());
            Assert.Equal(1, p.GetProperty("shortfall").GetInt32()); // two siblings with one instance of room each
            Assert.Equal("cordon", p.GetProperty("steps")[0].GetProperty("action").GetString());
        });
        Assert.Equal(before, Webhooks.ChangeableState(_sandbox));
        var samples = await _host.ScrapeAsync();
        Assert.Equal(1, samples.Value("drsentinel_az_loss_shortfall_instances", ("az", "eu-central-1b")));
        Assert.Equal(2, samples.Value("drsentinel_az_loss_absorbable_instances", ("az", "eu-central-1b")));
    }

    [Fact]
    public async Task KillSwitchEndpoint_EngagedAtRuntime_StopsTheNextPlanAndHoldsAcrossARestart()
    {
        using (var anonymous = await SendAsync(HttpMethod.Post, "actions/kill-switch?engaged=true", token: null))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        // Alertmanager's credential may deliver alerts, not stop the engine nor read its plans.
        using (var alertmanager = await SendAsync(HttpMethod.Post, "actions/kill-switch?engaged=true", token: Webhooks.Token))
            Assert.Equal(HttpStatusCode.Unauthorized, alertmanager.StatusCode);
        using (var alertmanagerPreview = await SendAsync(HttpMethod.Get, "actions/preview", token: Webhooks.Token))
            Assert.Equal(HttpStatusCode.Unauthorized, alertmanagerPreview.StatusCode);
        using (var bad = await SendAsync(HttpMethod.Post, "actions/kill-switch?engaged=maybe"))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var engaged = await SendAsync(HttpMethod.Post, "actions/kill-switch?engaged=true"))
            Assert.Contains("\"engaged\": true", await engaged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await _host.DisposeAsync();
        _host = await DrSentinelHost.StartAsync(_sandbox, Webhooks.ReceiverSettings(_state, dryRun: false, "workers"));
        using (var state = await SendAsync(HttpMethod.Get, "actions/kill-switch"))
            Assert.Contains("\"atRuntime\": true", await state.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await control.PostAsync("sandbox/zones/eu-central-1a/fail?mode=hard", null)).EnsureSuccessStatusCode();
        await _host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", "eu-central-1a"), ("status", "unavailable")) == 1, Deadline, "zone unavailable");
        var before = Webhooks.ChangeableState(_sandbox);

        using (var alert = await Webhooks.PostAsync(_host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", "eu-central-1a"))))
            Assert.Equal(HttpStatusCode.Accepted, alert.StatusCode);

        await _host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "cordon"), ("outcome", "killed")) == 1, Deadline, "stopped by the kill switch");
        Assert.Equal(before, Webhooks.ChangeableState(_sandbox));
        using (var released = await SendAsync(HttpMethod.Post, "actions/kill-switch?engaged=false"))
            Assert.Contains("\"engaged\": false", await released.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

/// <summary>`DrSentinel preview`: the same plans from the command line, without a running DrSentinel, without acting.</summary>
public sealed class PreviewCommandTests : IAsyncLifetime
{
    private SandboxServer _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await Sandboxes.StartAsync(topology: Webhooks.PerZoneTopology(perZone: 3, maxPerZone: 4));

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task PreviewVerb_OneZone_PrintsItsPlanAsJsonOnStdout_ExitsZero_ChangesNothing()
    {
        var before = Webhooks.ChangeableState(_sandbox);

        var result = await DrSentinelHost.RunVerbAsync(_sandbox, "preview", "--az", "eu-central-1b", "--Actions:AllowedNodeGroups:0=workers");

        Assert.True(result.ExitCode == 0, result.ToString());
        var plan = Assert.Single(JsonDocument.Parse(result.Output).RootElement.EnumerateArray());
        Assert.Equal("eu-central-1b", plan.GetProperty("zone").GetString());
        Assert.Equal("act", plan.GetProperty("verdict").GetString());
        Assert.Equal(1, plan.GetProperty("shortfall").GetInt32());
        Assert.Equal(before, Webhooks.ChangeableState(_sandbox));
        Assert.Equal(0, _sandbox.Calls("kubernetes:patch-node"));
    }
}

/// <summary>The preview asks every playbook: for the zone holding both primaries, the capacity plan and each database failover.</summary>
public sealed class PreviewEveryPlaybookTests : IAsyncLifetime
{
    private SandboxServer _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await Sandboxes.StartAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task PreviewVerb_ZoneOfBothPrimaries_NamesEachDatabaseFailover_AndWhyNotWhereItWouldNot()
    {
        var before = Webhooks.ChangeableState(_sandbox);

        var result = await DrSentinelHost.RunVerbAsync(_sandbox, "preview", "--az", "eu-central-1a",
            "--Actions:AllowedNodeGroups:0=primary", "--Actions:AllowedDatabases:0=pyairtable-primary");

        Assert.True(result.ExitCode == 0, result.ToString());
        var zone = Assert.Single(JsonDocument.Parse(result.Output).RootElement.EnumerateArray());
        Assert.Equal(("az-capacity", "evacuate"), (zone.GetProperty("playbook").GetString(), zone.GetProperty("intent").GetString()));
        var databases = zone.GetProperty("databases").EnumerateArray().ToDictionary(d => d.GetProperty("resource").GetString()!);
        Assert.Equal(["pyairtable-primary", "pyairtable-redis"], databases.Keys.Order());
        var rds = databases["pyairtable-primary"];
        Assert.Equal(("rds-failover", "failover", "act"), (rds.GetProperty("playbook").GetString(), rds.GetProperty("intent").GetString(), rds.GetProperty("verdict").GetString()));
        Assert.Equal("rds-force-failover", Assert.Single(rds.GetProperty("steps").EnumerateArray()).GetProperty("action").GetString());
        // Not allowed: the refusal says so, rather than the database being left out.
        var redis = databases["pyairtable-redis"];
        Assert.Equal(("elasticache-failover", "refused"), (redis.GetProperty("playbook").GetString(), redis.GetProperty("verdict").GetString()));
        Assert.Contains("Actions:AllowedDatabases", redis.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, Webhooks.ChangeableState(_sandbox));
        Assert.Equal(0, _sandbox.Calls("rds:RebootDBInstance"));
    }
}
