using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>
/// DrSentinel live against the sandbox for an end-to-end test: one process, or two electing one actor on the sandbox's
/// Lease with Receiver:AlertmanagerUrls pointing at the Alertmanager the test starts on <see cref="AlertmanagerPort"/>.
/// With two, replica-a leads and replica-b follows, and the test has Alertmanager reach <see cref="Receiver"/> only, so
/// every action comes from the leader learning of the alert through the other replica and Alertmanager's API.
/// </summary>
public sealed record ReceiverReplicas(DrSentinelHost Leader, DrSentinelHost Receiver, string ReceiverTokenFile, int AlertmanagerPort)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Every replica: Prometheus scrapes them all in one job.</summary>
    public IReadOnlyList<Uri> Targets => [.. new[] { Leader.Address, Receiver.Address }.Distinct()];

    /// <summary>Leader election on with timings fit for tests (a 3 s lease), as <paramref name="name"/>.</summary>
    public static string[] Leadership(string name) =>
    [
        "--Leadership:Enabled=true", "--Leadership:Namespace=drsentinel", $"--Leadership:Identity={name}",
        "--Leadership:LeaseDuration=00:00:03", "--Leadership:RenewDeadline=00:00:02", "--Leadership:RetryPeriod=00:00:00.300",
    ];

    /// <param name="own">Takes each host into the test's keeping, to be disposed with it.</param>
    public static async Task<ReceiverReplicas> StartAsync(SandboxServer sandbox, int replicas, string[] allowedGroups, string[] settings,
        Func<DrSentinelHost, DrSentinelHost> own)
    {
        var alertmanagerPort = FreePort.Next();
        async Task<(DrSentinelHost Host, string TokenFile)> ReplicaAsync(string name)
        {
            var state = Webhooks.NewStateDirectory();
            string[] highAvailability = replicas == 1 ? [] :
                [.. Leadership(name), $"--Receiver:AlertmanagerUrls:0=http://127.0.0.1:{alertmanagerPort}/", "--Receiver:ReconcileEvery=00:00:05"];
            var host = own(await DrSentinelHost.StartAsync(sandbox, [.. Webhooks.ReceiverSettings(state, dryRun: false, allowedGroups), .. settings, .. highAvailability]));
            return (host, Path.Combine(state, "..", "state.token"));
        }
        var (leader, tokenFile) = await ReplicaAsync("replica-a");
        if (replicas == 1) return new ReceiverReplicas(leader, leader, tokenFile, alertmanagerPort);
        await leader.ScrapeUntilAsync(s => s.Value("drsentinel_leader", ("replica", "replica-a")) == 1, Deadline, "replica-a leads");
        var (follower, followerToken) = await ReplicaAsync("replica-b");
        await follower.ScrapeUntilAsync(s => s.Value("drsentinel_leader", ("replica", "replica-b")) == 0, Deadline, "replica-b follows");
        return new ReceiverReplicas(leader, follower, followerToken, alertmanagerPort);
    }
}
