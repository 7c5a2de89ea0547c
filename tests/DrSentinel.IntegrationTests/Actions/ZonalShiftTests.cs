using System.Net;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>
/// The evacuation moving traffic off the lost zone with ARC zonal shift, over the sandbox's REST-JSON API: every watched
/// resource shifted with the incident named, the shifts undone on restore, and someone else's shift left alone.
/// </summary>
[LongRunning(125)]
public sealed class ZonalShiftTests : IAsyncLifetime
{
    private const string Zone = "eu-central-1a";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private SandboxServer _sandbox = null!;
    private HttpClient _control = null!;
    private DrSentinelHost? _host;
    private (string Arn, string Name) _cluster;
    private (string Arn, string Name) _loadBalancer;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync(topology: Webhooks.PerZoneTopology(perZone: 3, maxPerZone: 6));
        _control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        var resources = _sandbox.Region.ManagedResources;
        _cluster = resources.Where(r => r.Arn.Contains(":cluster/", StringComparison.Ordinal)).Select(r => (r.Arn, r.Name)).Single();
        _loadBalancer = resources.Where(r => r.Arn.Contains(":loadbalancer/", StringComparison.Ordinal)).Select(r => (r.Arn, r.Name)).Single();
    }

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        _control.Dispose();
        await _sandbox.DisposeAsync();
    }

    private async Task<DrSentinelHost> StartAsync() => _host = await DrSentinelHost.StartAsync(_sandbox,
    [
        .. Webhooks.ReceiverSettings(Webhooks.NewStateDirectory(), false, "workers"),
        $"--Inventory:ZonalShiftResources:0={_cluster.Arn}",
        $"--Inventory:ZonalShiftResources:1={_loadBalancer.Arn}",
        "--Actions:ShiftTrafficAway=true",
        // Shifts expire in region time, which runs 1000 times the wall clock here: ARC's longest term lasts 4 min of the test.
        "--Actions:ZonalShiftLasts=3.00:00:00",
    ]);

    /// <summary>ARC keys weights by zone ID, and the sandbox's account maps eu-central-1a to euc1-az2, not az1.</summary>
    private double Weight(string arn) => _sandbox.State(r => r.AppliedWeights(r.ManagedResources.Single(m => m.Arn == arn))[r.Topology.ZoneId(Zone)]);

    private (string Comment, string Status, string AwayFrom)[] Shifts(string arn) =>
        _sandbox.State(r => r.ZonalShifts.Where(s => s.ResourceIdentifier == arn).Select(s => (s.Comment, s.Status(r.Now), s.AwayFrom)).ToArray());

    private async Task FailZoneAsync(DrSentinelHost host)
    {
        (await _control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "unavailable")) == 1, Deadline, "zone unavailable in DrSentinel");
    }

    private async Task RecoverAndResolveAsync(DrSentinelHost host)
    {
        (await _control.PostAsync($"sandbox/zones/{Zone}/recover", null)).EnsureSuccessStatusCode();
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "healthy")) == 1, Deadline, "zone healthy in DrSentinel");
        using var resolved = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone, firing: false)));
        Assert.Equal(HttpStatusCode.Accepted, resolved.StatusCode);
    }

    [Fact]
    public async Task ZoneLost_EveryWatchedResourceShiftedAwayNamingTheIncident_ThenCancelledOnRestore()
    {
        var host = await StartAsync();
        var before = Webhooks.ChangeableState(_sandbox);
        await FailZoneAsync(host);

        using (var firing = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, firing.StatusCode);

        await Poll.UntilAsync(() => Weight(_cluster.Arn) == 0 && Weight(_loadBalancer.Arn) == 0, Deadline, "both resources' traffic shifted away from the zone");
        Assert.All([_cluster.Arn, _loadBalancer.Arn], arn =>
        {
            var (comment, status, awayFrom) = Assert.Single(Shifts(arn));
            Assert.Equal(("ACTIVE", "euc1-az2"), (status, awayFrom)); // the zone's ID in this account, as ARC takes it
            Assert.StartsWith($"DrSentinel incident {Zone}-", comment, StringComparison.Ordinal);
        });
        var samples = await host.ScrapeUntilAsync(s => s.Value("drsentinel_zonal_shift_weight", ("resource", _loadBalancer.Name), ("az", Zone)) == 0
            && s.Value("drsentinel_zonal_shift_expiry_timestamp_seconds", ("resource", _cluster.Name), ("az", Zone), ("started_by", "drsentinel")) is not null,
            Deadline, "DrSentinel's own view of its shifts");
        Assert.Equal(2, samples.Value("drsentinel_actions_total", ("action", "zonal-shift-start"), ("outcome", "success")));
        Assert.Equal(2, _sandbox.Calls("arc-zonal-shift:StartZonalShift"));
        Assert.Equal(1, samples.Value("drsentinel_az_evacuated", ("az", Zone)));
        // The status page says where traffic goes and whose shift moved it.
        using (var request = new HttpRequestMessage(HttpMethod.Get, ""))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Webhooks.OperatorToken);
            using var page = await host.Http.SendAsync(request);
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains($"<td>{_loadBalancer.Name}</td><td>{Zone} 0, ", html, StringComparison.Ordinal);
            Assert.Contains($"from {Zone} by DrSentinel until ", html, StringComparison.Ordinal);
        }

        await RecoverAndResolveAsync(host);
        await Poll.UntilAsync(() => Webhooks.ChangeableState(_sandbox) == before && Weight(_cluster.Arn) == 1 && Weight(_loadBalancer.Arn) == 1,
            Deadline, "everything as it was, traffic back in the zone");
        Assert.All([_cluster.Arn, _loadBalancer.Arn], arn => Assert.Equal("CANCELED", Assert.Single(Shifts(arn)).Status));
        Assert.Equal(2, _sandbox.Calls("arc-zonal-shift:CancelZonalShift"));
    }

    [Fact]
    public async Task ClusterAlreadyShiftedBySomeoneElse_NoCordonNoSecondShift_AndTheirShiftOutlivesTheRestore()
    {
        var host = await StartAsync();
        var theirs = _sandbox.Region.Read(r => r.StartZonalShift(_cluster.Arn, r.Topology.ZoneId(Zone), "72h", "on-call: practice run").Id);
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_zonal_shift_expiry_timestamp_seconds", ("resource", _cluster.Name), ("az", Zone), ("started_by", "other")) is not null,
            Deadline, "the other shift seen by DrSentinel");
        await FailZoneAsync(host);

        using (var firing = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, firing.StatusCode);

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "zonal-shift-start"), ("outcome", "success")) == 1
            && s.Value("drsentinel_actions_total", ("action", "update-group"), ("outcome", "success")) == 2, Deadline, "the load balancer shifted and capacity added");
        Assert.Equal(0, _sandbox.Calls("kubernetes:patch-node")); // AWS's shift keeps pods out of the zone already
        Assert.Equal(1, _sandbox.Calls("arc-zonal-shift:StartZonalShift"));
        Assert.Equal(0, Weight(_loadBalancer.Arn));

        await RecoverAndResolveAsync(host);
        await Poll.UntilAsync(() => Weight(_loadBalancer.Arn) == 1, Deadline, "DrSentinel's own shift cancelled");
        var (comment, status, _) = Assert.Single(Shifts(_cluster.Arn));
        Assert.Equal(("on-call: practice run", "ACTIVE"), (comment, status));
        Assert.Equal(theirs, _sandbox.State(r => r.ZonalShifts.Single(s => s.ResourceIdentifier == _cluster.Arn).Id));
        Assert.Equal(1, _sandbox.Calls("arc-zonal-shift:CancelZonalShift"));
    }

    /// <summary>
    /// AWS's own shifts give way to a customer's (ARC's precedence): a practice run moving the load balancer away from a
    /// healthy zone is interrupted by DrSentinel's shift away from the lost one, and an autoshift of the cluster is outranked
    /// by DrSentinel's, which keeps traffic away until DrSentinel's restore, whatever AWS does with its autoshift.
    /// </summary>
    [Fact]
    public async Task AwsPracticeRunAndAutoshiftInPlace_DrSentinelsShiftTakesPrecedence_AndOnlyItsOwnIsCancelledOnRestore()
    {
        var host = await StartAsync();
        var before = Webhooks.ChangeableState(_sandbox);
        // Both last 100 hours of the region's clock (6 min at its speed), beyond the test: only DrSentinel and the test end them.
        (await _control.PostAsync($"sandbox/zonal-shifts?resource={_loadBalancer.Name}&zone=eu-central-1b&type=PRACTICE_RUN&minutes=6000", null)).EnsureSuccessStatusCode();
        (await _control.PostAsync($"sandbox/zonal-shifts?resource={_cluster.Name}&zone={Zone}&type=ZONAL_AUTOSHIFT&minutes=6000", null)).EnsureSuccessStatusCode();
        // A practice run does not start while a customer's shift is active; this one is AWS's, so nothing stops it here.
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_zonal_shift_weight", ("resource", _loadBalancer.Name), ("az", "eu-central-1b")) == 0,
            Deadline, "the practice run seen by DrSentinel");
        await FailZoneAsync(host);

        using (var firing = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, firing.StatusCode);

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "zonal-shift-start"), ("outcome", "success")) == 2
            && s.Value("drsentinel_actions_total", ("action", "update-group"), ("outcome", "success")) == 2, Deadline, "both resources shifted by DrSentinel and capacity added");
        Assert.Equal(0, Weight(_loadBalancer.Arn));
        Assert.Equal(1, _sandbox.State(r => r.AppliedWeights(r.ManagedResources.Single(m => m.Arn == _loadBalancer.Arn))[r.Topology.ZoneId("eu-central-1b")]));
        Assert.Equal("INTERRUPTED", _sandbox.State(r => r.ZonalShifts.Single(s => s.ShiftType == "PRACTICE_RUN").PracticeRunOutcome));
        Assert.Equal(DrSentinel.Sandbox.Region.ZonalShift.CustomerShift, _sandbox.State(r => r.AppliedShift(_cluster.Arn)!.ShiftType));
        Assert.True(_sandbox.Calls("kubernetes:patch-node") > 0, "an autoshift ends when AWS decides: the zone's nodes are cordoned all the same");

        await RecoverAndResolveAsync(host);
        await Poll.UntilAsync(() => Weight(_loadBalancer.Arn) == 1 && _sandbox.Calls("arc-zonal-shift:CancelZonalShift") == 2, Deadline, "DrSentinel's own shifts cancelled");
        Assert.Equal("ZONAL_AUTOSHIFT", _sandbox.State(r => r.AppliedShift(_cluster.Arn)!.ShiftType)); // AWS's, left to AWS
        (await _control.PostAsync($"sandbox/zonal-shifts/autoshift/end?resource={_cluster.Name}", null)).EnsureSuccessStatusCode();
        await Poll.UntilAsync(() => Webhooks.ChangeableState(_sandbox) == before, Deadline, "everything as before, once AWS ends its autoshift");
    }

    /// <summary>
    /// ARC's ConflictException has reasons DrSentinel cannot see coming (SimultaneousZonalShiftsConflict,
    /// ZonalAutoshiftActive, ...): the shift is refused, said so, and the capacity steps after it are carried out all the same.
    /// </summary>
    [Fact]
    public async Task ArcRefusesTheShiftWithAConflict_TheRefusalIsSaid_AndTheCapacityIsStillMoved()
    {
        var host = await StartAsync();
        await FailZoneAsync(host);
        (await _control.PostAsync("sandbox/faults", System.Net.Http.Json.JsonContent.Create(new { service = "arc-zonal-shift", operation = "StartZonalShift", errorCode = "ConflictException" })))
            .EnsureSuccessStatusCode();

        using (var firing = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, firing.StatusCode);

        var samples = await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "zonal-shift-start"), ("outcome", "refused")) == 2
            && s.Value("drsentinel_actions_total", ("action", "update-group"), ("outcome", "success")) == 2, Deadline, "both shifts refused, the capacity moved");
        Assert.Null(samples.Value("drsentinel_actions_total", ("action", "zonal-shift-start"), ("outcome", "failed")));
        Assert.Equal(1, Weight(_cluster.Arn));
        await Poll.UntilAsync(() => _sandbox.State(r => r.KubernetesEvents.Count(e => (string?)e["reason"] == "ZoneEvacuationRefused")) == 2, Deadline,
            "a warning Event on each resource ARC refused");
        (await _control.DeleteAsync("sandbox/faults")).EnsureSuccessStatusCode();
    }

    /// <summary>
    /// On a sandbox whose clock is the wall clock (a shift's expiry is region time): DrSentinel's one-minute shift is
    /// extended while the zone stays lost, before it would end, and cancelled once the zone is back.
    /// </summary>
    [Fact]
    public async Task ZoneStillLost_DrSentinelsShiftIsExtendedBeforeItEnds_ThenCancelled()
    {
        await using var sandbox = await Sandboxes.StartAsync(speed: 1, topology: Webhooks.PerZoneTopology(perZone: 3, maxPerZone: 6));
        using var control = new HttpClient { BaseAddress = sandbox.Endpoint };
        var cluster = sandbox.Region.ManagedResources.Single(r => r.Arn.Contains(":cluster/", StringComparison.Ordinal));
        await using var host = await DrSentinelHost.StartAsync(sandbox,
        [
            .. Webhooks.ReceiverSettings(Webhooks.NewStateDirectory(), false, "workers"),
            $"--Inventory:ZonalShiftResources:0={cluster.Arn}", "--Actions:ShiftTrafficAway=true",
            "--Actions:ZonalShiftLasts=00:01:00", "--Actions:RecheckEvery=00:00:01",
        ]);
        (await control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();
        // Nodes turn NotReady after the node monitor's grace, in region time: the wall clock here.
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "unavailable")) == 1, TimeSpan.FromSeconds(120), "zone unavailable");
        using (var firing = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, firing.StatusCode);
        (string Id, DateTimeOffset Expiry, string Status, string Comment)? Shift() => sandbox.State(r => r.ZonalShifts
            .Where(s => s.ResourceIdentifier == cluster.Arn).Select(s => ((string, DateTimeOffset, string, string)?)(s.Id, s.ExpiryTime, s.Status(r.Now), s.Comment)).SingleOrDefault());
        await Poll.UntilAsync(() => Shift() is { Status: "ACTIVE" }, Deadline, "DrSentinel's shift started");
        var started = Shift()!.Value;

        // Extended once less than half its minute is left, before it would have ended.
        await Poll.UntilAsync(() => Shift() is { } s && s.Expiry > started.Expiry, TimeSpan.FromSeconds(50), "the shift extended");
        var extended = Shift()!.Value;
        Assert.Equal((started.Id, "ACTIVE", started.Comment), (extended.Id, extended.Status, extended.Comment));
        Assert.True(sandbox.Calls("arc-zonal-shift:UpdateZonalShift") >= 1);
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "zonal-shift-extend"), ("outcome", "success")) >= 1, Deadline, "the extension counted");

        (await control.PostAsync($"sandbox/zones/{Zone}/recover", null)).EnsureSuccessStatusCode();
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "healthy")) == 1, TimeSpan.FromSeconds(120), "zone healthy");
        using (var resolved = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone, firing: false))))
            Assert.Equal(HttpStatusCode.Accepted, resolved.StatusCode);
        await Poll.UntilAsync(() => Shift() is { Status: "CANCELED" }, Deadline, "the shift cancelled on restore");
    }
}
