using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>DrSentinel as a real process, its clients pointed at a sandbox the test controls.</summary>
public sealed class DrSentinelHost : IAsyncDisposable
{
    private readonly ExternalProcess _process;
    private readonly HttpClient _http;

    private DrSentinelHost(ExternalProcess process, Uri address)
    {
        _process = process;
        Address = address;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
    }

    public Uri Address { get; }
    public string Log => _process.Output + _process.Error;
    public bool HasExited => _process.HasExited;

    /// <summary>A client for DrSentinel's own endpoints (webhook, kill switch).</summary>
    public HttpClient Http => _http;

    public static Task<DrSentinelHost> StartAsync(SandboxServer sandbox, params string[] settings) => StartAsync(sandbox, null, settings);

    /// <summary>
    /// With <paramref name="credentialEnvironment"/>, DrSentinel gets no static keys: it finds its credentials through
    /// the SDK's default chain in that environment (IRSA's web identity variables, say).
    /// </summary>
    public static Task<DrSentinelHost> StartAsync(SandboxServer sandbox, IReadOnlyDictionary<string, string>? credentialEnvironment, params string[] settings) =>
        StartAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "DrSentinel.dll")], sandbox, credentialEnvironment, settings);

    /// <summary>With static keys as usual, and <paramref name="environment"/> added to the process's environment.</summary>
    public static Task<DrSentinelHost> StartWithEnvironmentAsync(SandboxServer sandbox, IReadOnlyDictionary<string, string> environment, params string[] settings) =>
        StartAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "DrSentinel.dll")], sandbox, null, settings, environment);

    /// <summary>A published executable (the Native AOT build) instead of the JIT build under test.</summary>
    public static Task<DrSentinelHost> StartExecutableAsync(string executable, SandboxServer sandbox, params string[] settings) =>
        StartAsync(executable, [], sandbox, null, settings);

    private static async Task<DrSentinelHost> StartAsync(string program, string[] programArguments, SandboxServer sandbox,
        IReadOnlyDictionary<string, string>? credentialEnvironment, string[] settings, IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = FreePort.Next();
        string[] arguments =
        [
            .. programArguments,
            "--urls", $"http://127.0.0.1:{port}",
            .. SandboxArguments(sandbox, staticKeys: credentialEnvironment is null),
            .. settings,
        ];
        var variables = (credentialEnvironment ?? new Dictionary<string, string>()).Concat(environment ?? new Dictionary<string, string>())
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var host = new DrSentinelHost(ExternalProcess.Start(program, arguments, variables.Count == 0 ? null : variables), new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await Poll.UntilAsync(async () =>
            {
                if (host._process.HasExited) throw new InvalidOperationException("DrSentinel exited:\n" + host.Log);
                try
                {
                    return (await host._http.GetAsync("readyz")).IsSuccessStatusCode;
                }
                // Not listening yet; or, as the listener opens, a connection that is accepted and dropped at once reaches
                // the client as a bare SocketException (ENOTCONN) rather than an HttpRequestException.
                catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException or IOException)
                {
                    return false;
                }
            }, ready => ready, TimeSpan.FromSeconds(30), "DrSentinel ready");
        }
        catch (TimeoutException e)
        {
            await host.DisposeAsync();
            throw new TimeoutException($"{e.Message}; its log:\n{host.Log}", e);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    /// <summary>Runs DrSentinel (the JIT build) once with a verb, e.g. <c>preview</c>, against the sandbox, to its exit.</summary>
    public static Task<ProcessResult> RunVerbAsync(SandboxServer sandbox, string verb, params string[] settings) =>
        ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "DrSentinel.dll"), verb, .. SandboxArguments(sandbox, staticKeys: true), .. settings],
            TimeSpan.FromSeconds(60));

    /// <summary>The settings that point DrSentinel at <paramref name="sandbox"/>, with timings fit for tests.</summary>
    private static string[] SandboxArguments(SandboxServer sandbox, bool staticKeys)
    {
        string[] keys = staticKeys
            ? [$"--Aws:AccessKeyId={sandbox.Options.AccessKeyId}", $"--Aws:SecretAccessKey={sandbox.Options.SecretAccessKey}"]
            : [];
        return
        [
            "--Sandbox:Enabled=false",
            $"--Aws:ServiceUrl={sandbox.Endpoint}",
            $"--Aws:Region={sandbox.Region.Name}",
            .. keys,
            // Every retry of a call fits in the 1 s refresh, as DrSentinel insists.
            "--Aws:Timeout=00:00:00.400",
            "--Aws:MaxAttempts=2",
            "--Aws:RetryBaseDelay=00:00:00.010",
            "--Aws:RetryMaxDelay=00:00:00.100",
            $"--Kubernetes:Host={sandbox.Endpoint}",
            $"--Inventory:ClusterName={sandbox.Region.Topology.ClusterName}",
            "--Inventory:AwsRefreshInterval=00:00:01",
            "--Probes:Interval=00:00:01",
            "--Probes:Timeout=00:00:00.500",
            // The tests read the log as text; a deployment logs JSON lines (RunCommandTests checks the default).
            "--Logging:Console:FormatterName=simple",
        ];
    }

    /// <summary>
    /// Waits until the log shows <paramref name="text"/>: the log reaches the test through the console logger's queue and
    /// a pipe, after the series and answers that told the test to look.
    /// </summary>
    public Task LogShowsAsync(string text) =>
        Poll.UntilAsync(() => Task.FromResult(Log), log => log.Contains(text, StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"the log shows \"{text}\"");

    public async Task<string> ScrapeTextAsync() => await _http.GetStringAsync("metrics");

    public async Task<IReadOnlyList<Sample>> ScrapeAsync() => MetricsText.Parse(await ScrapeTextAsync());

    /// <summary>Scrapes until <paramref name="done"/> holds; the deadline is the test's statement of "within one refresh".</summary>
    public Task<IReadOnlyList<Sample>> ScrapeUntilAsync(Func<IReadOnlyList<Sample>, bool> done, TimeSpan deadline, string what) =>
        Poll.UntilAsync(ScrapeAsync, done, deadline, what);

    /// <summary>Kills the process outright (SIGKILL): a replica lost with its node or zone.</summary>
    public Task KillAsync() => _process.KillAsync();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
    }
}
