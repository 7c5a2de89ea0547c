using System.Net;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>
/// A zone's hosts lost, in the 40 s before Kubernetes marks its nodes NotReady: the region at speed 1, so that window is
/// real. The alerts now come 30 s in, inside it; DrSentinel must read the kubelets' silence as "AWS sees it" and give
/// AWS its failover, not race it because the nodes still say Ready.
/// </summary>
[LongRunning(25)]
public sealed class HardLossGraceTests : IAsyncLifetime
{
    private const string Zone = "eu-central-1a";
    private const string Db = "pyairtable-primary";
    private const string Cache = "pyairtable-redis";
    private SandboxServer _sandbox = null!;
    private DrSentinelHost? _host;

    public async Task InitializeAsync() => _sandbox = await Sandboxes.StartWithDataPlaneAsync(speed: 1);

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task HostsLost_KubeletsSilent_NodesStillReady_DrSentinelGivesAwsItsGrace_NoFailoverCall()
    {
        _host = await DrSentinelHost.StartAsync(_sandbox, Webhooks.FailoverSettings(Webhooks.NewStateDirectory(), dryRun: false, grace: "00:10:00", Db, Cache));
        await _host.ScrapeUntilAsync(s => s.Value("drsentinel_postgres_probe_up", ("db_instance", Db)) == 1, TimeSpan.FromSeconds(60), "the primary probed");
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();

        // Kubelets renew every 10 s: more than 15 s behind the others is silence, some 15-25 s in; NotReady comes at 40 s.
        var silent = await _host.ScrapeUntilAsync(s => s.Value("drsentinel_kubelet_heartbeat_behind_seconds", ("az", Zone)) > 15,
            TimeSpan.FromSeconds(40), "the zone's kubelets silent in DrSentinel");
        Assert.Equal(1, silent.Value("drsentinel_az_status", ("az", Zone), ("status", "healthy"))); // its nodes still Ready
        Assert.Equal(0, silent.Value("drsentinel_postgres_probe_up", ("db_instance", Db)));

        using (var response = await Webhooks.PostAsync(_host.Http, Webhooks.Notification(Webhooks.RdsAlert(Zone), Webhooks.RedisAlert(Zone))))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var held = await _host.ScrapeUntilAsync(s =>
                s.Value("drsentinel_plans_total", ("playbook", "rds-failover"), ("intent", "failover"), ("verdict", "refused"), ("reason", "grace-period")) >= 1
                && s.Value("drsentinel_plans_total", ("playbook", "elasticache-failover"), ("intent", "failover"), ("verdict", "refused"), ("reason", "grace-period")) >= 1,
            TimeSpan.FromSeconds(30), "both failovers held for AWS");
        Assert.Equal(1, held.Value("drsentinel_az_status", ("az", Zone), ("status", "healthy"))); // decided before NotReady
        await _host.LogShowsAsync($"every kubelet in {Zone} has missed its heartbeats");
        Assert.Equal(0, _sandbox.Calls("rds:RebootDBInstance") + _sandbox.Calls("elasticache:TestFailover") + _sandbox.Calls("elasticache:ModifyReplicationGroup"));
    }
}
