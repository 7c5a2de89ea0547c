using System.Globalization;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Host;

/// <summary>The production artifact, the Native AOT executable, as a process against the sandbox region and its real servers.</summary>
[NeedsAotExecutable]
public sealed class AotExecutableTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private SandboxServer _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await Sandboxes.StartWithDataPlaneAsync(speed: 100);

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task AotExecutable_WatchesNodes_ReadsAws_ProbesTheDatabases_AndSeesAZoneFail()
    {
        var cluster = _sandbox.Region.ManagedResources.First(r => r.Arn.Contains(":cluster/", StringComparison.Ordinal));
        await using var host = await DrSentinelHost.StartExecutableAsync(await RepoPaths.AotExecutableAsync(), _sandbox,
            "--Probes:Postgres:Enabled=true", "--Probes:Redis:Enabled=true", $"--Inventory:ZonalShiftResources:0={cluster.Arn}");

        var samples = await host.ScrapeUntilAsync(s => s.Named("drsentinel_source_up").Count(x => x.Value == 1) == 9
                                                       && s.Named("drsentinel_redis_probe_up").Count(x => x.Value == 1) == 3
                                                       && s.Named("drsentinel_postgres_probe_up").Count(x => x.Value == 1) == 2,
            Deadline, "every source up and every database answering");
        Assert.Equal(9, samples.Named("drsentinel_kubernetes_nodes").Sum(x => x.Value));
        // ARC zonal shift over REST-JSON, signed and parsed by the trimmed build too: traffic in every zone.
        Assert.Equal([1.0, 1.0, 1.0], samples.Named("drsentinel_zonal_shift_weight").Where(x => x.Labels["resource"] == cluster.Name).Select(x => x.Value));
        Assert.Equal(1, samples.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-primary"), ("role", "primary"), ("az", "eu-central-1a")));
        Assert.Contains("# TYPE process_resident_memory_bytes gauge", await host.ScrapeTextAsync(), StringComparison.Ordinal);

        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await control.PostAsync("sandbox/zones/eu-central-1a/fail?mode=hard", null)).EnsureSuccessStatusCode();

        // The node Leases, listed once the zone is cut off, parsed by the trimmed build too.
        samples = await host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", "eu-central-1a"), ("status", "unavailable")) == 1
                                                   && s.Value("drsentinel_redis_probe_up", ("cache_cluster", "pyairtable-redis-001")) == 0
                                                   && s.Value("drsentinel_kubelet_heartbeat_behind_seconds", ("az", "eu-central-1a")) > 0,
            Deadline, "the zone unavailable through the watch, its members unreachable through the probes, its kubelets silent");
        Assert.Equal(1, samples.Value("drsentinel_api_calls_total", ("system", "kubernetes"), ("operation", "list_nodes"), ("outcome", "success")));
    }

    [Theory]
    [InlineData("--Sandbox:Enabled=true", "Sandbox:Enabled")]
    [InlineData("--Aws:Timeout=00:30:00", "Aws:Timeout")]
    public async Task AotExecutable_BadSetting_ExitsTwoNamingTheKey(string setting, string key)
    {
        await using var process = ExternalProcess.Start(await RepoPaths.AotExecutableAsync(),
            ["--urls", $"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}", "--Kubernetes:Host=http://127.0.0.1:1/", setting]);

        var result = await process.WaitAsync(Deadline);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(key, result.Error, StringComparison.Ordinal);
    }
}
