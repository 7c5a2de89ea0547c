using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Host;

/// <summary>The README's run command: DrSentinel on its embedded default, the sandbox region, as a real process.</summary>
public sealed class RunCommandTests
{
    private static string HostAssembly => Path.Combine(AppContext.BaseDirectory, "DrSentinel.dll");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The body of <paramref name="path"/>, or null while the host does not answer yet.</summary>
    private static async Task<string?> GetOnceUpAsync(HttpClient http, string path)
    {
        try
        {
            return await http.GetStringAsync(path);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>As `dotnet run --project src/DrSentinel` starts it: launchSettings.json makes it the Development environment.</summary>
    private static ExternalProcess StartHost(params string[] arguments) =>
        ExternalProcess.Start("dotnet", [HostAssembly, .. arguments], new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" });

    /// <summary>As a deployed process starts: Production, no kubeconfig in its home, not in a cluster.</summary>
    private static ExternalProcess StartDeployed(string home, params string[] arguments) =>
        ExternalProcess.Start("dotnet", [HostAssembly, .. arguments], new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production", ["ASPNETCORE_ENVIRONMENT"] = "Production", ["HOME"] = home, ["KUBECONFIG"] = "",
            ["KUBERNETES_SERVICE_HOST"] = "", ["KUBERNETES_SERVICE_PORT"] = "",
        });

    [Fact]
    public async Task DefaultRun_ServesMetricsWithinTenSeconds()
    {
        var port = FreePort();
        var started = Stopwatch.StartNew();
        await using var host = StartHost("--urls", $"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(2) };

        var metrics = await Poll.UntilAsync(() => GetOnceUpAsync(http, "metrics"), body => body is not null, TimeSpan.FromSeconds(30), "/metrics answers");

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"/metrics took {started.Elapsed.TotalSeconds:F1} s to answer");
        Assert.Contains("# TYPE process_resident_memory_bytes gauge", metrics, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
        await Poll.UntilAsync(() => host.Output.Contains("Sandbox region eu-central-1 serves", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "sandbox address logged");
    }

    [Fact]
    public async Task DefaultRun_AnEarlierRunsState_IsSetAsideNotCarriedIntoThisRegion()
    {
        var temp = Directory.CreateTempSubdirectory("drsentinel-tmpdir-").FullName;
        try
        {
            // An earlier run engaged the kill switch in its region, long gone.
            Directory.CreateDirectory(Path.Combine(temp, "drsentinel"));
            await File.WriteAllTextAsync(Path.Combine(temp, "drsentinel", "kill-switch"), "on-call, in an earlier run");
            var port = FreePort();
            await using (var host = ExternalProcess.Start("dotnet", [HostAssembly, "--urls", $"http://127.0.0.1:{port}", "--Sandbox:DataPlane=false"],
                             new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development", ["TMPDIR"] = temp }))
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(2) };
                var killSwitch = await Poll.UntilAsync(() => GetOnceUpAsync(http, "actions/kill-switch"), body => body is not null,
                    TimeSpan.FromSeconds(30), "the kill switch answers");

                Assert.Contains("\"engaged\": false", killSwitch, StringComparison.Ordinal);
                Assert.Equal("on-call, in an earlier run", await File.ReadAllTextAsync(Path.Combine(temp, "drsentinel.previous", "kill-switch")));
                await Poll.UntilAsync(() => host.Output.Contains($"was moved to {Path.Combine(temp, "drsentinel.previous")}", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(10), "the move said in the log");
            }
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    [Fact]
    public async Task DefaultRun_ProbesTheSandboxesRealServers_FoundFromTheDescribeAnswers()
    {
        var port = FreePort();
        await using var host = StartHost("--urls", $"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(2) };

        // No endpoint is configured: the probes read them from RDS and ElastiCache, as in production.
        var samples = await Poll.UntilAsync(async () => await GetOnceUpAsync(http, "metrics") is { } body ? MetricsText.Parse(body) : [], s => s.Named("drsentinel_postgres_probe_up").Count(p => p.Value == 1) == 2 && s.Named("drsentinel_redis_probe_up").Count(p => p.Value == 1) == 3,
            TimeSpan.FromSeconds(60), "every PostgreSQL and Redis member probed and up");

        Assert.Contains("Sandbox data plane on", host.Output, StringComparison.Ordinal);
        Assert.All(samples.Named("drsentinel_postgres_probe_configured"), s => Assert.Equal(1, s.Value));
        Assert.Equal(1, samples.Value("drsentinel_postgres_wal_receiver_up", ("db_instance", "pyairtable-read-replica")));
    }

    [Fact]
    public async Task Production_RefusesTheSandbox_NamingTheKey()
    {
        await using var host = StartDeployed(Directory.CreateTempSubdirectory("drsentinel-home-").FullName,
            "--urls", $"http://127.0.0.1:{FreePort()}", "--Sandbox:Enabled=true");

        var result = await host.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Sandbox:Enabled", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Sandbox region", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_WithoutAKubernetesApi_ExitsNamingTheKeys_AndStartsNoSandbox()
    {
        // Static keys, so the AWS SDK does not go looking for an instance role on this machine.
        await using var host = StartDeployed(Directory.CreateTempSubdirectory("drsentinel-home-").FullName,
            "--urls", $"http://127.0.0.1:{FreePort()}", "--Aws:AccessKeyId=AKIAEXAMPLE", "--Aws:SecretAccessKey=example");

        var result = await host.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Kubernetes:Host", result.Error, StringComparison.Ordinal);
        Assert.Contains("Kubernetes:KubeconfigPath", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Sandbox region", result.Output, StringComparison.Ordinal);
    }

    // The embedded sandbox sets the region itself, so the region check runs with the sandbox off.
    [Theory]
    [InlineData("--Sandbox:Enabled=false --Aws:Region=moon-base-1", "Aws:Region")]
    [InlineData("--Aws:Timeout=00:30:00", "Aws:Timeout")]
    [InlineData("--Sandbox:Speed=0", "Sandbox:Speed")]
    [InlineData("--Sandbox:Enabled=false --Kubernetes:KubeconfigPath=/nonexistent/kubeconfig", "Kubernetes:KubeconfigPath")]
    [InlineData("--Probes:Redis:Endpoints:pyairtable-redis-001=no-port", "Probes:Redis:Endpoints:pyairtable-redis-001")]
    [InlineData("--Receiver:Enabled=true --Receiver:AllowUnauthenticated=true --urls http://0.0.0.0:9", "Receiver:AllowUnauthenticated")]
    [InlineData("--Receiver:Enabled=true --Receiver:AllowUnauthenticated=true --urls http://+:9", "Receiver:AllowUnauthenticated")]
    public async Task BadSetting_ExitsNonZeroNamingTheKey(string setting, string key)
    {
        await using var host = StartHost(["--urls", $"http://127.0.0.1:{FreePort()}", .. setting.Split(' ')]);

        var result = await host.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(key, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }
}
