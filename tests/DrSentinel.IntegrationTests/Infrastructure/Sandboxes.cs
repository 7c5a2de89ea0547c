using DrSentinel.Sandbox;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.IntegrationTests.Infrastructure;

public static class Sandboxes
{
    /// <summary>Region time at 1000x: a 120 s failover takes 0.12 s of the test's time.</summary>
    public const double FastSpeed = 1000;

    public static Task<SandboxServer> StartAsync(double speed = FastSpeed, Topology? topology = null) =>
        SandboxServer.StartAsync(new SandboxOptions { Speed = speed, Topology = topology, WatchBookmarkInterval = TimeSpan.FromMilliseconds(200) });

    /// <summary>With real PostgreSQL and Redis behind every endpoint, once they all run and replicate.</summary>
    public static async Task<SandboxServer> StartWithDataPlaneAsync(double speed = 100, Topology? topology = null)
    {
        var sandbox = await SandboxServer.StartAsync(new SandboxOptions
        {
            Speed = speed, Topology = topology, WatchBookmarkInterval = TimeSpan.FromMilliseconds(200), DataPlane = true,
        });
        try
        {
            Assert.True(sandbox.DataPlane is not null, sandbox.DataPlaneStatus);
            await Poll.UntilAsync(() => sandbox.DataPlane!.Ready, TimeSpan.FromSeconds(90), "data plane servers up");
            return sandbox;
        }
        catch
        {
            await sandbox.DisposeAsync();
            throw;
        }
    }

    public static T State<T>(this SandboxServer sandbox, Func<SandboxRegion, T> read) => sandbox.Region.Read(read);
}
