using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.IntegrationTests.Readiness;

/// <summary>
/// `DrSentinel doctor` and GET /readiness against the sandbox: ready where the region is as the playbooks need it, and
/// exactly the broken check not ready (with its reason) where one thing is not.
/// </summary>
[LongRunning(30)]
public sealed class DoctorTests : IAsyncLifetime
{
    private static readonly string[] Allowed =
    [
        "--Actions:AllowedDatabases:0=pyairtable-primary", "--Actions:AllowedDatabases:1=pyairtable-redis",
        "--Actions:AllowedNodeGroups:0=primary", "--Actions:AllowedNodeGroups:1=critical",
    ];

    private SandboxServer _sandbox = null!;
    private SandboxServer? _singleAz;

    public async Task InitializeAsync() => _sandbox = await Sandboxes.StartAsync();

    public async Task DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        if (_singleAz is not null) await _singleAz.DisposeAsync();
    }

    [Fact]
    public async Task DoctorVerb_ARegionAsThePlaybooksNeedIt_ExitsZero_EveryCheckReady_ChangesNothing()
    {
        var before = Webhooks.ChangeableState(_sandbox);

        var result = await DrSentinelHost.RunVerbAsync(_sandbox, "doctor", [.. Allowed, $"--Receiver:StateDirectory={Webhooks.NewStateDirectory()}"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("# DrSentinel readiness for a zone loss: ready", result.Output, StringComparison.Ordinal);
        foreach (var check in new[] { "rds-multi-az", "rds-allow-tag", "elasticache-failover", "elasticache-allow-tag", "elasticache-test-failover-quota", "node-group-headroom",
                     "node-group-allow-tag", "kill-switch", "state-directory", "clock-skew", "kubernetes-permissions" })
            Assert.Contains($"| {check} | ready |", result.Output, StringComparison.Ordinal);
        Assert.Equal(before, Webhooks.ChangeableState(_sandbox));
    }

    [Fact]
    public async Task DoctorVerb_AnAllowedDatabaseThatIsNotMultiAz_ExitsOne_NamingThatCheckAlone()
    {
        var topology = Topology.Default() with
        {
            DbInstances = [.. Topology.Default().DbInstances.Select(d => d.Id == "pyairtable-primary" ? d with { MultiAz = false, SecondaryAvailabilityZone = null } : d)],
        };
        _singleAz = await Sandboxes.StartAsync(topology: topology);

        var result = await DrSentinelHost.RunVerbAsync(_singleAz, "doctor", [.. Allowed, $"--Receiver:StateDirectory={Webhooks.NewStateDirectory()}"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("| rds-multi-az | not-ready | pyairtable-primary is not Multi-AZ", result.Output, StringComparison.Ordinal);
        Assert.Single(result.Output.Split('\n'), line => line.Contains("| not-ready |", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DoctorVerb_AnAllowedNodeGroupWithoutTheIamTag_ExitsOne_NamingThatCheckAlone()
    {
        var topology = Topology.Default() with
        {
            NodeGroups = [.. Topology.Default().NodeGroups.Select(g => g.Name == "critical" ? g with { Tags = new Dictionary<string, string>() } : g)],
        };
        _singleAz = await Sandboxes.StartAsync(topology: topology);

        var result = await DrSentinelHost.RunVerbAsync(_singleAz, "doctor", [.. Allowed, $"--Receiver:StateDirectory={Webhooks.NewStateDirectory()}"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Matches(@"\| node-group-allow-tag \| not-ready \| eks-critical-\S+ \(node group critical\) lacks the tag drsentinel.io/allowed=true", result.Output);
        Assert.Single(result.Output.Split('\n'), line => line.Contains("| not-ready |", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DoctorVerb_AnAllowedGroupWhoseMaxSizeLeavesNoRoom_ExitsOne_NamingTheHeadroomCheckAlone()
    {
        var topology = Topology.Default() with
        {
            NodeGroups = [.. Topology.Default().NodeGroups.Select(g => g with { MaxSize = g.DesiredSize })],
        };
        _singleAz = await Sandboxes.StartAsync(topology: topology);

        var result = await DrSentinelHost.RunVerbAsync(_singleAz, "doctor", [.. Allowed, $"--Receiver:StateDirectory={Webhooks.NewStateDirectory()}"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Matches(@"\| node-group-headroom \| not-ready \| losing eu-central-1\w would leave \d+ of \d+ instance\(s\) without room under MaxSize", result.Output);
        Assert.Single(result.Output.Split('\n'), line => line.Contains("| not-ready |", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LeaderCheck_ReadyWhileAReplicaRenewsTheLease_NotReadyOnceNobodyCan()
    {
        await using var host = await DrSentinelHost.StartAsync(_sandbox, [.. Webhooks.ReceiverSettings(Webhooks.NewStateDirectory(), dryRun: true, "primary"),
            .. ReceiverReplicas.Leadership("replica-a"), "--Readiness:Every=00:00:10"]);
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_readiness", ("check", "leader")) == 1, TimeSpan.FromSeconds(60), "the leader check ready");

        // The Lease API answers nobody: the replica stops renewing, and no one else can take it.
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        using (var fault = await control.PostAsync("sandbox/faults", System.Net.Http.Json.JsonContent.Create(
            new { service = "kubernetes", operation = "*", errorCode = "ServiceUnavailable" })))
            fault.EnsureSuccessStatusCode();

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_readiness", ("check", "leader")) == 0, TimeSpan.FromSeconds(60), "the leader check not ready");
        using var request = new HttpRequestMessage(HttpMethod.Get, "readiness");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Webhooks.OperatorToken);
        using var response = await host.Http.SendAsync(request);
        var leader = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("check").GetString() == "leader");
        Assert.Equal("not-ready", leader.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task ReadinessEndpointAndSeries_OnARunningDrSentinel_SayTheSame_KillSwitchEngagedIsNotReady()
    {
        await using var host = await DrSentinelHost.StartAsync(_sandbox, [.. Webhooks.ReceiverSettings(Webhooks.NewStateDirectory(), dryRun: true, "primary", "critical"),
            "--Actions:AllowedDatabases:0=pyairtable-primary", "--Actions:KillSwitch=true"]);

        var samples = await host.ScrapeUntilAsync(s => s.Value("drsentinel_readiness", ("check", "kill-switch")) is not null, TimeSpan.FromSeconds(60), "the first readiness run");

        Assert.Equal(0, samples.Value("drsentinel_readiness", ("check", "kill-switch")));
        Assert.Equal(1, samples.Value("drsentinel_readiness", ("check", "rds-multi-az")));
        Assert.Null(samples.Value("drsentinel_readiness", ("check", "elasticache-failover"))); // no replication group allowed: no series
        Assert.NotNull(samples.Value("drsentinel_readiness_last_run_timestamp_seconds"));
        using var anonymous = await host.Http.GetAsync("readiness");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "readiness");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Webhooks.OperatorToken);
        using var response = await host.Http.SendAsync(request);
        var readiness = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("not-ready", readiness.GetProperty("verdict").GetString());
        var kill = readiness.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("check").GetString() == "kill-switch");
        Assert.Equal("not-ready", kill.GetProperty("verdict").GetString());
        Assert.Contains("Actions:KillSwitch", kill.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClockSkewCheck_AwsClockTenMinutesOff_IsNotReady_AndReadyAgainOnceMended()
    {
        await using var host = await DrSentinelHost.StartAsync(_sandbox, "--Readiness:Every=00:00:10", "--Inventory:AwsRefreshInterval=00:00:02",
            $"--Receiver:StateDirectory={Webhooks.NewStateDirectory()}");
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_readiness", ("check", "clock-skew")) == 1, TimeSpan.FromSeconds(60), "the clock-skew check ready");
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };

        (await control.PostAsync("sandbox/aws/clock-skew?seconds=600", null)).EnsureSuccessStatusCode();

        var skewed = await host.ScrapeUntilAsync(s => s.Value("drsentinel_readiness", ("check", "clock-skew")) == 0, TimeSpan.FromSeconds(60), "the clock-skew check not ready");
        Assert.InRange(skewed.Value("drsentinel_aws_clock_skew_seconds") ?? 0, 595, 605);
        Assert.True(skewed.Named("drsentinel_api_calls_total").Where(s => s["system"] == "aws" && s["outcome"] == "error").Sum(s => s.Value) > 0,
            "AWS refused the requests signed 10 minutes off its clock");
        // AWS refuses everything signed off its clock: other checks may not be able to check, but none is "not ready".
        var verdicts = await Webhooks.ReadinessAsync(host);
        Assert.Equal("not-ready", verdicts["clock-skew"].Verdict);
        Assert.Single(verdicts, c => c.Value.Verdict == "not-ready");

        (await control.PostAsync("sandbox/aws/clock-skew?seconds=0", null)).EnsureSuccessStatusCode();

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_readiness", ("check", "clock-skew")) == 1, TimeSpan.FromSeconds(60), "the clock-skew check ready again");
    }

    [Fact]
    public async Task KubernetesPermissions_RbacWithoutPatchNodes_IsNotReadyNamingIt_InDoctorAndOnARunningDrSentinel_AndReadyOnceMended()
    {
        await using var host = await DrSentinelHost.StartAsync(_sandbox, [.. Webhooks.ReceiverSettings(Webhooks.NewStateDirectory(), dryRun: true, "primary"),
            "--Readiness:Every=00:00:10"]);
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_readiness", ("check", "kubernetes-permissions")) == 1, TimeSpan.FromSeconds(60), "the permissions ready");
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };

        (await control.PostAsync("sandbox/kubernetes/rbac/deny?verb=patch&resource=nodes", null)).EnsureSuccessStatusCode();

        var denied = await host.ScrapeUntilAsync(s => s.Value("drsentinel_readiness", ("check", "kubernetes-permissions")) == 0, TimeSpan.FromSeconds(60), "the permissions not ready");
        Assert.All(denied.Where(s => s.Name == "drsentinel_readiness" && s.Labels["check"] is not ("kubernetes-permissions" or "prometheus-rules" or "alertmanager-routes" or "heartbeat")),
            s => Assert.Equal(1, s.Value));
        var doctor = await DrSentinelHost.RunVerbAsync(_sandbox, "doctor", [.. Allowed, $"--Receiver:StateDirectory={Webhooks.NewStateDirectory()}"]);
        Assert.True(doctor.ExitCode == 1, doctor.ToString());
        Assert.Contains("| kubernetes-permissions | not-ready | may not patch nodes (cordoning a lost zone's nodes) |", doctor.Output, StringComparison.Ordinal);
        Assert.Single(doctor.Output.Split('\n'), line => line.Contains("| not-ready |", StringComparison.Ordinal));

        (await control.DeleteAsync("sandbox/kubernetes/rbac/deny")).EnsureSuccessStatusCode();

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_readiness", ("check", "kubernetes-permissions")) == 1, TimeSpan.FromSeconds(60), "the permissions ready again");
    }

    [Fact]
    public async Task AwsPermissions_APolicyWithoutRebootDBInstance_IsNotReadyNamingIt_WithoutSimulate_CouldNotCheck_AndReadyOnceMended()
    {
        await using var host = await DrSentinelHost.StartAsync(_sandbox, [.. Webhooks.ReceiverSettings(Webhooks.NewStateDirectory(), dryRun: true, "primary"),
            "--Actions:AllowedDatabases:0=pyairtable-primary", "--Actions:AllowedDatabases:1=pyairtable-redis", "--Readiness:Every=00:00:10"]);
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_readiness", ("check", "aws-permissions")) == 1, TimeSpan.FromSeconds(60), "the AWS permissions ready");
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        var policy = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "docs", "iam-policy.json")))!;
        async Task PutPolicyAsync(Func<string, bool> keep)
        {
            var edited = policy.DeepClone();
            foreach (var statement in edited["Statement"]!.AsArray())
                if (statement!["Action"] is System.Text.Json.Nodes.JsonArray actions)
                    statement["Action"] = new System.Text.Json.Nodes.JsonArray([.. actions.Select(a => a!.GetValue<string>()).Where(keep).Select(a => (System.Text.Json.Nodes.JsonNode)a)]);
            using var body = new StringContent(edited.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
            (await control.PutAsync("sandbox/iam/policy", body)).EnsureSuccessStatusCode();
        }

        await PutPolicyAsync(action => action != "rds:RebootDBInstance");

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_readiness", ("check", "aws-permissions")) == 0, TimeSpan.FromSeconds(60), "the AWS permissions not ready");
        var readiness = await Webhooks.ReadinessAsync(host);
        Assert.Contains("may not rds:RebootDBInstance on DB instance pyairtable-primary (implicitDeny)", readiness["aws-permissions"].Reason, StringComparison.Ordinal);
        Assert.Equal("not-ready", readiness["aws-permissions"].Verdict);
        Assert.All(readiness.Where(c => c.Key is not ("aws-permissions" or "prometheus-rules" or "alertmanager-routes" or "heartbeat")),
            c => Assert.True(c.Value.Verdict == "ready", $"{c.Key}: {c.Value.Verdict} ({c.Value.Reason})"));

        await PutPolicyAsync(action => action != "iam:SimulatePrincipalPolicy");

        await Poll.UntilAsync(() => Webhooks.ReadinessAsync(host), r => r["aws-permissions"].Verdict == "could-not-check", TimeSpan.FromSeconds(30), "could not check");

        (await control.DeleteAsync("sandbox/iam/policy")).EnsureSuccessStatusCode();

        await Poll.UntilAsync(() => Webhooks.ReadinessAsync(host), r => r["aws-permissions"].Verdict == "ready", TimeSpan.FromSeconds(30), "ready again");
    }

}
