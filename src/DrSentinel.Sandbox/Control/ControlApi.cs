using System.Text.Json;
using DrSentinel.Sandbox.DataPlane;
using DrSentinel.Sandbox.Region;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DrSentinel.Sandbox.Control;

/// <summary>Drills and tests steer the region here: fail and recover zones, inject API faults, read the whole state.</summary>
public static class ControlApi
{
    public sealed record FaultRequest(string Service, string Operation, string? ErrorCode, double Probability = 1, int LatencyMs = 0, int? Count = null, string? Client = null);

    public static IEndpointRouteBuilder MapSandboxControl(this IEndpointRouteBuilder app, SandboxRegion region, RegionDataPlane? plane, Aws.AwsClock awsClock)
    {
        var control = app.MapGroup("/sandbox");
        control.MapGet("/state", () => Results.Json(region.Read(RegionStateView.From)));
        control.MapGet("/data-plane", () => plane is null
            ? Results.NotFound(new { error = "this sandbox runs no data plane" })
            : Results.Json(new { ready = plane.Ready, servers = plane.Servers() }));
        // dataPlane: how connections into the failed zone behave, "hang" (silently dropped, the default) or "reset".
        control.MapPost("/zones/{zone}/fail", (string zone, string? mode, string? dataPlane) =>
        {
            var kind = (mode ?? "hard").ToLowerInvariant() switch
            {
                "hard" => AzFailure.Hard,
                "gray" => AzFailure.Gray,
                _ => (AzFailure?)null,
            };
            if (kind is null) return Results.BadRequest(new { error = $"mode must be hard or gray, not '{mode}'" });
            var blackHole = (dataPlane ?? "hang").ToLowerInvariant() switch
            {
                "hang" => BlackHoleMode.Hang,
                "reset" => BlackHoleMode.Reset,
                _ => (BlackHoleMode?)null,
            };
            if (blackHole is null) return Results.BadRequest(new { error = $"dataPlane must be hang or reset, not '{dataPlane}'" });
            return Zone(region, plane, zone, r => r.FailZone(zone, kind.Value, blackHole.Value));
        });
        control.MapPost("/zones/{zone}/recover", (string zone) => Zone(region, plane, zone, r => r.RecoverZone(zone)));
        // EC2 has no capacity in the zone (for one instance type, or any): launches there fail with InsufficientInstanceCapacity.
        control.MapPost("/zones/{zone}/capacity/exhaust", (string zone, string? instanceType) =>
            Zone(region, plane, zone, r => r.ExhaustCapacity(zone, string.IsNullOrWhiteSpace(instanceType) ? null : instanceType)));
        control.MapPost("/zones/{zone}/capacity/restore", (string zone) => Zone(region, plane, zone, r => r.RestoreCapacity(zone)));
        // A shift AWS starts itself: a zonal autoshift practice run, an FIS experiment's, or an autoshift (type=ZONAL_AUTOSHIFT).
        control.MapPost("/zonal-shifts", (string resource, string zone, string type, int? minutes) =>
        {
            try
            {
                ZonalShift? shift = null;
                region.Write(r => shift = r.StartAwsShift(resource, zone, type, TimeSpan.FromMinutes(minutes ?? 30)));
                return Results.Json(new { zonalShiftId = shift!.Id, shiftType = shift.ShiftType, awayFrom = shift.AwayFrom });
            }
            catch (ArgumentException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
            catch (KeyNotFoundException e)
            {
                return Results.NotFound(new { error = e.Message });
            }
            catch (AwsFaultException e)
            {
                return Results.Json(new { error = e.Message, code = e.Code }, statusCode: e.HttpStatus);
            }
        });
        control.MapPost("/zonal-shifts/autoshift/end", (string resource) =>
        {
            try
            {
                region.Write(r => r.EndAutoshift(resource));
                return Results.NoContent();
            }
            catch (AwsFaultException e)
            {
                return Results.Json(new { error = e.Message, code = e.Code }, statusCode: e.HttpStatus);
            }
        });
        control.MapPost("/faults", async (HttpContext context) =>
        {
            FaultRequest? fault;
            try
            {
                fault = await context.Request.ReadFromJsonAsync<FaultRequest>(context.RequestAborted);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                return Results.BadRequest(new { error = $"the fault must be a JSON object: {e.Message}" });
            }
            if (fault is null) return Results.BadRequest(new { error = "the fault must be a JSON object" });
            if (fault.Probability is < 0 or > 1 || fault.LatencyMs < 0 || fault.Count is <= 0 || string.IsNullOrEmpty(fault.Service) || string.IsNullOrEmpty(fault.Operation))
                return Results.BadRequest(new { error = "a fault needs service and operation (or \"*\"), probability in [0,1], latencyMs >= 0 and count > 0 when given" });
            region.Write(r => r.Faults.Add(new FaultRule(fault.Service, fault.Operation, fault.ErrorCode, fault.Probability, TimeSpan.FromMilliseconds(fault.LatencyMs), fault.Count)
                { Client = string.IsNullOrEmpty(fault.Client) ? null : fault.Client }));
            return Results.NoContent();
        });
        // Backups stop (no snapshot, the restore horizon stands still) until resumed: what a broken backup job looks like.
        // ?ago=1.06:00:00 backdates the stop, so a backup broken for a day can be looked at without waiting a day.
        control.MapPost("/backups/stop", (HttpContext context) =>
        {
            var ago = TimeSpan.Zero;
            if (context.Request.Query["ago"].ToString() is { Length: > 0 } text
                && (!TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out ago) || ago < TimeSpan.Zero || ago > TimeSpan.FromDays(30)))
                return Results.BadRequest(new { error = $"ago {text} must be a time span from 00:00:00 to 30.00:00:00 (d.hh:mm:ss)" });
            region.Write(r => r.StopBackups(ago));
            return Results.NoContent();
        });
        control.MapPost("/backups/resume", () =>
        {
            region.Write(r => r.ResumeBackups());
            return Results.NoContent();
        });
        control.MapDelete("/faults", () =>
        {
            region.Write(r => r.Faults.Clear());
            return Results.NoContent();
        });
        // AWS's clock set off the wall clock by this many seconds (0 mends it): requests signed more than 5 minutes off it are refused.
        control.MapPost("/aws/clock-skew", (double seconds) =>
        {
            awsClock.Skew = TimeSpan.FromSeconds(seconds);
            return Results.Json(new { skewSeconds = awsClock.Skew.TotalSeconds });
        });
        // The identity policy IAM's SimulatePrincipalPolicy judges: PUT a policy document, DELETE for docs/iam-policy.json again.
        control.MapPut("/iam/policy", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var text = await reader.ReadToEndAsync(context.RequestAborted);
            try
            {
                using var parsed = System.Text.Json.JsonDocument.Parse(text);
                if (!parsed.RootElement.TryGetProperty("Statement", out _)) return Results.BadRequest(new { error = "a policy document has a Statement" });
            }
            catch (System.Text.Json.JsonException e)
            {
                return Results.BadRequest(new { error = $"not JSON: {e.Message}" });
            }
            region.Write(r => r.IamPolicy = text);
            return Results.NoContent();
        });
        control.MapDelete("/iam/policy", () =>
        {
            region.Write(r => r.IamPolicy = Aws.IamApi.DefaultPolicy(r.Topology.ClusterName));
            return Results.NoContent();
        });
        // AWS's own failover of a Multi-AZ instance, now: 202 when started, 409 when AWS would not start one (not available).
        control.MapPost("/databases/{id}/aws-failover", (string id) =>
        {
            try
            {
                var started = false;
                region.Write(r => started = r.AwsFailsOver(id));
                return started ? Results.Accepted() : Results.Conflict(new { error = $"AWS would not start a failover of {id} now (not available, not Multi-AZ, or its standby's zone down)" });
            }
            catch (KeyNotFoundException e)
            {
                return Results.NotFound(new { error = e.Message });
            }
        });
        // RBAC takes a verb on a resource away from DrSentinel's service account (in one namespace, or all); DELETE gives all back.
        control.MapPost("/kubernetes/rbac/deny", (string verb, string resource, string? @namespace) =>
        {
            region.Write(r => r.Rbac.Deny(verb, resource, string.IsNullOrEmpty(@namespace) ? null : @namespace));
            return Results.Json(new { denied = region.Read(r => r.Rbac.Describe().ToArray()) });
        });
        control.MapDelete("/kubernetes/rbac/deny", () =>
        {
            region.Write(r => r.Rbac.AllowAll());
            return Results.NoContent();
        });
        control.MapPost("/kubernetes/drop-watches", () => Results.Json(new { dropped = region.Read(r => r.Cluster.DropWatches()) }));
        control.MapPost("/kubernetes/compact", () =>
        {
            region.Write(r => r.Cluster.Compact());
            return Results.NoContent();
        });
        return app;
    }

    private static IResult Zone(SandboxRegion region, RegionDataPlane? dataPlane, string zone, Action<SandboxRegion> act)
    {
        try
        {
            region.Write(act);
            dataPlane?.Refresh();
            return Results.Json(region.Read(RegionStateView.From).Zones.Single(z => z.Name == zone));
        }
        catch (KeyNotFoundException e)
        {
            return Results.NotFound(new { error = e.Message });
        }
    }
}

/// <summary>The whole region as JSON, for drills, tests and curious humans.</summary>
public sealed record RegionStateView(
    string Region, DateTimeOffset Now, double Speed,
    IReadOnlyList<RegionStateView.ZoneView> Zones,
    IReadOnlyList<RegionStateView.GroupView> AutoScalingGroups,
    IReadOnlyList<RegionStateView.DbView> DbInstances,
    IReadOnlyList<RegionStateView.ClusterView> DbClusters,
    IReadOnlyList<RegionStateView.CacheView> ReplicationGroups,
    IReadOnlyDictionary<string, long> ApiCalls,
    IReadOnlyList<FaultRule> Faults,
    IReadOnlyList<RegionStateView.ManagedResourceView> ManagedResources)
{
    /// <summary>A resource registered with zonal shift and the traffic weight ARC applies in each zone (0 while shifted away).</summary>
    public sealed record ManagedResourceView(string Arn, string Name, IReadOnlyDictionary<string, double> AppliedWeights);
    /// <summary><see cref="NoCapacityFor"/>: the instance types EC2 cannot launch there, "*" for every type.</summary>
    public sealed record ZoneView(string Name, string Failure, bool ReachableFromCluster, int NodesReady, int NodesNotReady, int NodesCordoned,
        IReadOnlyList<string> NoCapacityFor);
    public sealed record InstanceView(string Id, string AvailabilityZone, string Lifecycle, string Health, string NodeName);
    public sealed record GroupView(string Name, string NodeGroup, int MinSize, int MaxSize, int DesiredCapacity, IReadOnlyList<string> AvailabilityZones,
        IReadOnlyList<string> SuspendedProcesses, IReadOnlyList<InstanceView> Instances);
    public sealed record DbView(string Id, string Status, string AvailabilityZone, string? SecondaryAvailabilityZone, bool MultiAz, string? ReplicaSourceId, string? ClusterId);
    public sealed record ClusterView(string Id, string Status, string Writer, IReadOnlyList<string> Members);
    public sealed record CacheMemberView(string CacheClusterId, string AvailabilityZone, string Role);
    public sealed record CacheView(string Id, string Status, bool AutomaticFailover, bool MultiAz, IReadOnlyList<CacheMemberView> Members);

    public static RegionStateView From(SandboxRegion r) => new(
        r.Name, r.Now, r.Clock.Speed,
        r.Zones.Values.Select(z =>
        {
            var nodes = r.Cluster.Nodes.Where(n => n.AvailabilityZone == z.Name).ToList();
            return new ZoneView(z.Name, z.Failure.ToString().ToLowerInvariant(), z.ReachableFromCluster,
                nodes.Count(n => n.Ready), nodes.Count(n => !n.Ready), nodes.Count(n => n.Unschedulable),
                z.NoCapacityForAnyType ? ["*"] : z.NoCapacityFor.Order(StringComparer.Ordinal).ToList());
        }).ToList(),
        r.ScalingGroups.Values.Select(g => new GroupView(g.Name, g.NodeGroup, g.MinSize, g.MaxSize, g.DesiredCapacity, r.GroupZones(g).ToList(),
            g.SuspendedProcesses.Keys.Order(StringComparer.Ordinal).ToList(),
            r.Instances.Values.Where(i => i.GroupName == g.Name).Select(i => new InstanceView(i.Id, i.AvailabilityZone, i.Lifecycle.ToString(),
                i.Healthy ? "Healthy" : "Unhealthy", i.NodeName)).ToList())).ToList(),
        r.DbInstances.Values.Select(d => new DbView(d.Id, d.Status, d.AvailabilityZone, d.SecondaryAvailabilityZone, d.MultiAz, d.ReplicaSourceId, d.ClusterId)).ToList(),
        r.DbClusters.Values.Select(c => new ClusterView(c.Id, c.Status, c.Members.Single(m => m.Writer).InstanceId, c.Members.Select(m => m.InstanceId).ToList())).ToList(),
        r.ReplicationGroups.Values.Select(g => new CacheView(g.Id, g.Status, g.AutomaticFailover, g.MultiAz,
            g.Members.Select(m => new CacheMemberView(m.CacheClusterId, m.AvailabilityZone, m.Primary ? "primary" : "replica")).ToList())).ToList(),
        new Dictionary<string, long>(r.ApiCalls),
        r.Faults.ToList(),
        r.ManagedResources.Select(m => new ManagedResourceView(m.Arn, m.Name, r.AppliedWeights(m))).ToList());
}
