using DrSentinel.Sandbox;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.SandboxHosting;

/// <summary>Runs the simulated region in-process (the default) and points the AWS and Kubernetes clients at it.</summary>
public sealed class SandboxHostingOptions
{
    public const string Section = "Sandbox";

    public bool Enabled { get; set; }

    public int Port { get; set; }

    public double Speed { get; set; } = 1;

    /// <summary>A topology file; empty means the embedded default (the seed plan's eu-central-1).</summary>
    public string? TopologyFile { get; set; }

    /// <summary>Real PostgreSQL and Redis behind the sandbox's endpoints where this machine has them, probed by DrSentinel.</summary>
    public bool DataPlane { get; set; } = true;
}

public static partial class EmbeddedSandbox
{
    /// <summary>Starts the sandbox when Sandbox:Enabled; the caller owns it and disposes it after the host stops.</summary>
    public static async Task<SandboxServer?> AddEmbeddedSandboxAsync(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(SandboxHostingOptions.Section).Get<SandboxHostingOptions>() ?? new SandboxHostingOptions();
        var problems = new List<string>();
        if (options.Port is < 0 or > 65535) problems.Add("Sandbox:Port must be a TCP port, or 0 for a free one");
        if (options.Speed is <= 0 or > 10000 or double.NaN) problems.Add("Sandbox:Speed must be in (0, 10000]");
        if (problems.Count > 0) throw new StartupConfigurationException(string.Join("; ", problems));
        if (!options.Enabled) return null;
        // A deployed DrSentinel must watch the real region: the simulated one is for `dotnet run` (Development) and drills.
        if (!builder.Environment.IsDevelopment())
            throw new StartupConfigurationException(
                $"Sandbox:Enabled is true in the {builder.Environment.EnvironmentName} environment; the sandbox region runs only in Development. " +
                "Set Sandbox:Enabled=false and configure Aws:Region (and credentials) and Kubernetes:Host or Kubernetes:KubeconfigPath, or run in-cluster");

        var topology = string.IsNullOrEmpty(options.TopologyFile) ? Topology.Default() : Topology.Load(options.TopologyFile);
        var sandbox = await SandboxServer.StartAsync(new SandboxOptions
        {
            Topology = topology, Port = options.Port, Speed = options.Speed, DataPlane = options.DataPlane,
        });
        builder.Services.AddSingleton(sandbox);
        var settings = new Dictionary<string, string?>
        {
            ["Aws:ServiceUrl"] = sandbox.Endpoint.ToString(),
            ["Aws:Region"] = topology.Region,
            ["Aws:AccessKeyId"] = sandbox.Options.AccessKeyId,
            ["Aws:SecretAccessKey"] = sandbox.Options.SecretAccessKey,
            ["Kubernetes:Host"] = sandbox.Endpoint.ToString(),
        };
        // The probes find the servers the way they find RDS's and ElastiCache's: from the endpoints the Describe calls report.
        if (sandbox.DataPlane is not null)
        {
            settings["Probes:Postgres:Enabled"] = "true";
            settings["Probes:Redis:Enabled"] = "true";
        }
        builder.Configuration.AddInMemoryCollection(settings);
        return sandbox;
    }

    /// <summary>Where this run keeps its state, and where an earlier run's went.</summary>
    private sealed record RunState(string Directory, string? EarlierRunsMovedTo);

    /// <summary>
    /// Moves an earlier run's state (its incidents, waiting alerts, cooldowns, hourly cap, kill switch) from
    /// Receiver:StateDirectory to the same path with ".previous" (replacing an older one), so nothing is lost and none
    /// of it acts on this run's region.
    /// </summary>
    public static void SetAsideEarlierRunsState(this WebApplicationBuilder builder)
    {
        var directory = builder.Configuration["Receiver:StateDirectory"]!;
        string? movedTo = null;
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            movedTo = directory.TrimEnd(Path.DirectorySeparatorChar) + ".previous";
            if (Directory.Exists(movedTo)) Directory.Delete(movedTo, recursive: true);
            Directory.Move(directory, movedTo);
        }
        builder.Services.AddSingleton(new RunState(directory, movedTo));
    }

    /// <summary>Logs every address once the host listens, so a newcomer knows where to point curl.</summary>
    public static void LogAddressesOnStart(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DrSentinel");
            foreach (var url in app.Urls)
                LogListening(logger, url);
            if (app.Services.GetService<SandboxServer>() is { } sandbox)
            {
                LogSandbox(logger, sandbox.Region.Name, sandbox.Endpoint, sandbox.Region.Clock.Speed);
                LogDataPlane(logger, sandbox.DataPlaneStatus);
            }
            if (app.Services.GetService<RunState>() is { } state)
            {
                if (state.EarlierRunsMovedTo is { } earlier) LogEarlierRunSetAside(logger, state.Directory, earlier);
                else LogRunState(logger, state.Directory);
            }
        });
    }

    [LoggerMessage(EventId = EventIds.Listening, Level = LogLevel.Information, Message = "DrSentinel listens on {Url}: /metrics, /healthz, /readyz")]
    private static partial void LogListening(ILogger logger, string url);

    [LoggerMessage(EventId = EventIds.SandboxServing, Level = LogLevel.Information,
        Message = "Sandbox region {Region} serves AWS (Query protocol), Kubernetes and its control API (/sandbox/state) at {Endpoint}; speed x{Speed}")]
    private static partial void LogSandbox(ILogger logger, string region, Uri endpoint, double speed);

    [LoggerMessage(EventId = EventIds.SandboxDataPlane, Level = LogLevel.Information, Message = "{Status}")]
    private static partial void LogDataPlane(ILogger logger, string status);

    [LoggerMessage(EventId = EventIds.SandboxRunState, Level = LogLevel.Information,
        Message = "This run's state (incidents, inbox, action history, kill switch) is kept in {Directory}, for this run's sandbox region only")]
    private static partial void LogRunState(ILogger logger, string directory);

    [LoggerMessage(EventId = EventIds.SandboxRunState, Level = LogLevel.Warning,
        Message = "This run's state is kept in {Directory}; an earlier run's (another sandbox region's incidents, waiting alerts, cooldowns, kill switch) was moved to {Earlier}")]
    private static partial void LogEarlierRunSetAside(ILogger logger, string directory, string earlier);
}
