using DrSentinel.Sandbox.Aws;
using DrSentinel.Sandbox.Control;
using DrSentinel.Sandbox.DataPlane;
using DrSentinel.Sandbox.Kubernetes;
using DrSentinel.Sandbox.Region;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DrSentinel.Sandbox;

public sealed record SandboxOptions
{
    /// <summary>The region's shape; null means the embedded default (the seed plan's eu-central-1).</summary>
    public Topology? Topology { get; init; }
    /// <summary>Region seconds per wall-clock second.</summary>
    public double Speed { get; init; } = 1;
    /// <summary>0 picks a free loopback port.</summary>
    public int Port { get; init; }
    public int Seed { get; init; } = 1;
    public string AccessKeyId { get; init; } = SandboxServer.DefaultAccessKeyId;
    public string SecretAccessKey { get; init; } = SandboxServer.DefaultSecretAccessKey;
    public TimeSpan WatchBookmarkInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Real PostgreSQL and Redis servers behind the endpoints, where this machine has them.</summary>
    public bool DataPlane { get; init; }
}

/// <summary>A simulated AWS region and Kubernetes API server on 127.0.0.1, speaking the real wire protocols.</summary>
public sealed class SandboxServer : IAsyncDisposable
{
    public const string DefaultAccessKeyId = "AKIASANDBOXDRSENTINEL";
    public const string DefaultSecretAccessKey = "sandbox/secret/access/key/for/drills0000";

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;
    private readonly Task _ticker;

    private SandboxServer(WebApplication app, SandboxRegion region, Uri endpoint, SandboxOptions options, RegionDataPlane? dataPlane, string dataPlaneStatus)
    {
        _app = app;
        Region = region;
        Endpoint = endpoint;
        Options = options;
        DataPlane = dataPlane;
        DataPlaneStatus = dataPlaneStatus;
        _ticker = TickAsync(_stop.Token);
    }

    public SandboxRegion Region { get; }
    /// <summary>The real servers behind the endpoints; null when off or not installed here.</summary>
    public RegionDataPlane? DataPlane { get; }
    /// <summary>One line for the log: what the data plane is, or how to get it.</summary>
    public string DataPlaneStatus { get; }
    public Uri Endpoint { get; }
    public SandboxOptions Options { get; }

    public static async Task<SandboxServer> StartAsync(SandboxOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancel = default)
    {
        var clock = new SimulatedClock(options.Speed);
        var region = new SandboxRegion(options.Topology ?? Topology.Default(), clock, options.Seed);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (loggerFactory is not null) builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, options.Port));
        var app = builder.Build();
        var (dataPlane, status) = await StartDataPlaneAsync(options, region, loggerFactory);
        var credentials = new CredentialStore();
        credentials.Add(new IssuedCredential(options.AccessKeyId, options.SecretAccessKey));
        // Clients sign with the wall clock, whatever the region's speed; AWS's own may be set off it.
        var awsClock = new AwsClock();
        var verifier = new SigV4Verifier(credentials, awsClock);
        app.Use(async (context, next) =>
        {
            // Every answer carries AWS's time, as AWS's do: a client reads its own clock's skew from it.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.Date = awsClock.GetUtcNow().ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            });
            await next(context);
        });
        app.MapAwsQuery(region, verifier, credentials);
        app.MapArcZonalShift(region, verifier);
        app.UseSandboxRbac(region);
        app.MapKubernetes(region, options.WatchBookmarkInterval);
        app.MapAccessReviews(region);
        app.MapSandboxControl(region, dataPlane, awsClock);
        try
        {
            await app.StartAsync(cancel);
        }
        catch
        {
            // Cancelled or failed mid-start: what was started stops with it.
            if (dataPlane is not null) await dataPlane.DisposeAsync();
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SandboxServer(app, region, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)), options, dataPlane, status);
    }

    private static async Task<(RegionDataPlane?, string)> StartDataPlaneAsync(SandboxOptions options, SandboxRegion region, ILoggerFactory? loggers)
    {
        if (!options.DataPlane) return (null, "Sandbox data plane off: endpoints are names only, no server answers them");
        var binaries = ServerBinaries.Find();
        if (binaries.PostgresBin is null && binaries.RedisServer is null)
            return (null, $"Sandbox data plane off: no PostgreSQL or Redis server on this machine; `{ServerBinaries.InstallHint}` puts real servers behind the endpoints");
        var plane = await RegionDataPlane.StartAsync(region, binaries,
            loggers?.CreateLogger("DrSentinel.Sandbox.DataPlane") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var missing = binaries.Complete ? "" : $" (only {(binaries.PostgresBin is null ? "Redis" : "PostgreSQL")}: `{ServerBinaries.InstallHint}` for both)";
        return (plane, $"Sandbox data plane on: real PostgreSQL and Redis behind the RDS and ElastiCache endpoints{missing}");
    }

    private async Task TickAsync(CancellationToken cancel)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            while (await timer.WaitForNextTickAsync(cancel)) Region.Tick();
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>Stops the region, its data plane and its server; a second call does nothing, as the dispose pattern asks.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        await _ticker;
        Region.Write(r => r.Cluster.DropWatches());
        if (DataPlane is not null) await DataPlane.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stop.Dispose();
    }
}
