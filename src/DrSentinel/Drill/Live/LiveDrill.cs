using System.Globalization;
using System.Text;
using System.Text.Json;
using DrSentinel.Actions;
using DrSentinel.Incidents;
using DrSentinel.Inventory;
using DrSentinel.Sandbox;
using Microsoft.Extensions.Options;

namespace DrSentinel.Drill.Live;

/// <summary>
/// A drill on the embedded sandbox region: DrSentinel's receiver live on a throwaway state directory, an application's
/// numbered writes to every database, the zone failed for real, the alert rules deciding, then the zone recovered; the
/// report is measured from the data, the incident record and the region's state.
/// </summary>
public sealed class LiveDrill(WebApplication app, SandboxServer sandbox, DrillOptions options, TextWriter output)
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan FlapPeriod = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan PutBackWait = TimeSpan.FromMinutes(4);

    /// <summary>Live on the sandbox: every node group and database of the region may be changed, the webhook on loopback only.</summary>
    public static void Configure(WebApplicationBuilder builder, SandboxServer sandbox)
    {
        var (groups, databases) = sandbox.Region.Read(r => (
            r.ScalingGroups.Values.Select(g => g.NodeGroup).Distinct().Order(StringComparer.Ordinal).ToList(),
            r.DbInstances.Values.Where(d => d.ReplicaSourceId is null).Select(d => d.Id).Concat(r.ReplicationGroups.Keys).Order(StringComparer.Ordinal).ToList()));
        var settings = new Dictionary<string, string?>
        {
            ["Receiver:Enabled"] = "true", ["Receiver:AllowUnauthenticated"] = "true", ["Actions:DryRun"] = "false",
            ["Leadership:Enabled"] = "false",
        };
        for (var i = 0; i < groups.Count; i++) settings[$"Actions:AllowedNodeGroups:{i}"] = groups[i];
        for (var i = 0; i < databases.Count; i++) settings[$"Actions:AllowedDatabases:{i}"] = databases[i];
        // Traffic moved with ARC zonal shift too; a shift lasts an hour of the wall clock (the region's clock runs faster).
        var (resources, speed) = sandbox.Region.Read(r => (r.ManagedResources.Select(m => m.Arn).ToList(), r.Clock.Speed));
        for (var i = 0; i < resources.Count; i++) settings[$"Inventory:ZonalShiftResources:{i}"] = resources[i];
        settings["Actions:ShiftTrafficAway"] = "true";
        // Capacity is overdue after 5 minutes of the region's clock, as at the default on a real one.
        settings["Actions:CapacityArrivalWithin"] = TimeSpan.FromSeconds(Math.Max(5, 300 / speed)).ToString("c", CultureInfo.InvariantCulture);
        settings["Actions:ZonalShiftLasts"] = TimeSpan.FromHours(Math.Clamp(speed, 1, 72)).ToString("c", CultureInfo.InvariantCulture);
        builder.Configuration.AddInMemoryCollection(settings);
    }

    public async Task<int> RunAsync(CancellationToken cancel)
    {
        await app.StartAsync(cancel);
        try
        {
            return await DrillAsync(cancel);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    private async Task<int> DrillAsync(CancellationToken cancel)
    {
        var services = app.Services;
        var store = services.GetRequiredService<InventoryStore>();
        var time = services.GetRequiredService<TimeProvider>();
        var incidents = services.GetRequiredService<IncidentLog>();
        if (!await PreviewCommand.WaitForInventoryAsync(store, services.GetServices<IInventorySource>().ToList(), time)) return 1;
        var cluster = services.GetRequiredService<IOptions<InventoryOptions>>().Value.ClusterName;
        var address = new Uri(app.Urls.First(u => u.StartsWith("http://", StringComparison.Ordinal)) + "/");
        var zones = Zones();
        using var control = new HttpClient { BaseAddress = sandbox.Endpoint };

        await using var alerting = await DrillAlerting.StartAsync(address, cluster, store, time, cancel);
        await alerting.ReadyAsync(time, cancel);
        await Say($"drill {options.Scenario}: losing {string.Join(" and ", zones)}; alerts: {alerting.Description}");
        foreach (var fault in options.Faults) await FaultAsync(control, fault, cancel);
        foreach (var zone in options.NoCapacityIn)
        {
            await ZoneCallAsync(control, zone, "capacity/exhaust", cancel);
            await Say($"no capacity: EC2 launches nothing in {zone} (InsufficientInstanceCapacity)");
        }

        // The region and DrSentinel as the playbooks need them; the alert path is the drill's own here, not production's.
        var readiness = await services.GetRequiredService<Readiness.ReadinessMonitor>().RunAsync(cancel, alertPath: false);
        await Say($"readiness before the loss: {Readiness.ReadinessView.Word(readiness.Verdict)}");
        var before = Changeable();
        var capacityBefore = SchedulableReadyNodes([]);
        using var stopWriters = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var writers = Writers(time);
        var writing = writers.Select(w => w.RunAsync(stopWriters.Token)).ToList();
        await UntilAsync(time, () => writers.All(w => w.Attempts.Count(a => a.Acknowledged) >= 3), TimeSpan.FromSeconds(30), cancel);
        if (writers.Where(w => w.Attempts.Count(a => a.Acknowledged) < 3).Select(w => w.Database).ToList() is { Count: > 0 } silent)
        {
            await stopWriters.CancelAsync();
            await Task.WhenAll(writing);
            await Say($"drill aborted before any zone was failed: the application's writes to {string.Join(", ", silent)} do not succeed in a healthy region");
            return 1;
        }
        var dataPlane = writers.Count == 0
            ? $"no data plane ({sandbox.DataPlaneStatus}): RTO from where the primaries are, RPO not measured"
            : $"numbered writes every {DatabaseWriter.Every.TotalMilliseconds:F0} ms to {string.Join(", ", writers.Select(w => $"{w.Database} ({w.Engine})"))}, read back afterwards";

        var failedAt = time.GetUtcNow();
        var mode = options.Scenario == "gray" || options.Scenario == "flapping" ? "gray" : "hard";
        foreach (var zone in zones) await PostAsync(control, $"sandbox/zones/{zone}/fail?mode={mode}", cancel);
        var moved = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        DateTimeOffset? capacityRestored = null;
        DateTimeOffset? capacityShort = null;
        DateTimeOffset? trafficOff = null;
        if (options.Scenario == "flapping")
        {
            // Shorter than every rule's `for`: nothing should fire, nothing should be done.
            for (var flap = 0; flap < 3; flap++)
            {
                await Task.Delay(FlapPeriod, time, cancel);
                foreach (var zone in zones) await PostAsync(control, $"sandbox/zones/{zone}/recover", cancel);
                await Task.Delay(FlapPeriod, time, cancel);
                if (flap < 2) foreach (var zone in zones) await PostAsync(control, $"sandbox/zones/{zone}/fail?mode={mode}", cancel);
            }
        }
        else
        {
            var deadline = options.Rto + TimeSpan.FromSeconds(30);
            var said = new HashSet<string>(StringComparer.Ordinal);
            await UntilAsync(time, () =>
            {
                var now = time.GetUtcNow();
                foreach (var (database, zone) in PrimaryZones()) if (!zones.Contains(zone) && moved.TryAdd(database, now)) Progress(said, now - failedAt, $"{database}'s primary is out of the lost zone");
                if (capacityRestored is null && SchedulableReadyNodes(zones) >= capacityBefore) capacityRestored = now;
                if (capacityRestored is not null) Progress(said, capacityRestored.Value - failedAt, "capacity restored: the other zones have as many schedulable Ready nodes as the region had");
                if (trafficOff is null && TrafficOff(zones)) trafficOff = now;
                capacityShort ??= IncidentOf(incidents, zones, failedAt)?.Timeline.FirstOrDefault(e => e.Kind == TimelineKind.CapacityShort)?.At;
                if (trafficOff is not null) Progress(said, trafficOff.Value - failedAt, "traffic off the lost zone: every zonal-shift resource's weight there is 0");
                var incident = IncidentOf(incidents, zones, failedAt);
                if (incident is not null) foreach (var entry in incident.Timeline.Where(e => e.At >= failedAt)) Progress(said, entry.At - failedAt, $"{entry.Kind}: {entry.Text}");
                foreach (var writer in writers)
                {
                    if (writer.Attempts is [.., { Acknowledged: false }]) Progress(said, now - failedAt, $"writes to {writer.Database} fail");
                    else if (said.Contains($"writes to {writer.Database} fail")) Progress(said, now - failedAt, $"{writer.Database} takes writes again");
                }
                // Without capacity somewhere, the drill ends on capacity restored through another group, or on the shortfall named.
                var capacitySettled = capacityRestored is not null || (options.NoCapacityIn.Count > 0 && capacityShort is not null && now - capacityShort > TimeSpan.FromSeconds(Math.Max(5, 120 / options.Speed)));
                return now - failedAt > TimeSpan.FromSeconds(5) && capacitySettled && moved.Count == PrimaryZones().Count
                    && writers.All(w => w.Attempts is [.., { Acknowledged: true }]) && incident?.Timeline.Any(e => e.Kind == TimelineKind.Decision) == true;
            }, deadline, cancel);
            foreach (var zone in zones) await PostAsync(control, $"sandbox/zones/{zone}/recover", cancel);
        }
        foreach (var zone in options.NoCapacityIn) await ZoneCallAsync(control, zone, "capacity/restore", cancel);
        var recoveredAt = time.GetUtcNow();
        DateTimeOffset? putBack = null;
        await UntilAsync(time, () =>
        {
            var incident = IncidentOf(incidents, zones, failedAt);
            if (Changeable() != before || incident is { Open: true }) return false;
            putBack = time.GetUtcNow();
            return true;
        }, PutBackWait, cancel);
        if (putBack is null)
        {
            var incident = IncidentOf(incidents, zones, failedAt);
            await Say($"not put back within {PutBackWait.TotalMinutes:F0} min of the recovery: incident {(incident is null ? "none" : incident.Open ? "still open" : "closed")}; "
                + $"region before:\n{before}\nnow:\n{Changeable()}");
        }

        await stopWriters.CancelAsync();
        await Task.WhenAll(writing);
        var databases = new List<DrillDatabaseResult>();
        foreach (var writer in writers) databases.Add(await MeasureAsync(writer, failedAt, recoveredAt, cancel));

        var result = Result(incidents, zones, alerting.Description, dataPlane, failedAt, recoveredAt, capacityRestored, putBack, moved, databases, trafficOff) with
        {
            ReadinessBefore = Readiness.ReadinessView.Word(readiness.Verdict),
            NotReadyBefore = [.. readiness.Checks.Where(c => c.Verdict != Readiness.ReadinessVerdict.Ready).Select(c => $"{c.Check}: {c.Reason}")],
        };
        Directory.CreateDirectory(options.OutputDirectory);
        var stamp = failedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var json = Path.Combine(options.OutputDirectory, $"drill-{options.Scenario}-{stamp}.json");
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(result, DrillJsonContext.Default.DrillResult), cancel);
        if (result.Incident is not null && incidents.Find(result.Incident) is { } kept)
            await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, $"incident-{kept.Id}.md"), IncidentReport.Markdown(kept), cancel);
        await output.WriteAsync("\n" + result.Table());
        await Say($"\nwritten: {json}");
        if (result.Missed.Count == 0)
        {
            await Say("every objective met");
            return 0;
        }
        await Say("objectives missed: " + string.Join("; ", result.Missed));
        return 1;
    }

    private DrillResult Result(IncidentLog incidents, IReadOnlyList<string> zones, string alerting, string dataPlane, DateTimeOffset failedAt,
        DateTimeOffset recoveredAt, DateTimeOffset? capacityRestored, DateTimeOffset? putBack, Dictionary<string, DateTimeOffset> moved,
        List<DrillDatabaseResult> databases, DateTimeOffset? trafficOff)
    {
        double? After(DateTimeOffset? at) => at is { } t ? Math.Round((t - failedAt).TotalSeconds, 1) : null;
        var incident = IncidentOf(incidents, zones, failedAt);
        var actions = incidents.All().Where(i => i.Timeline.Any(e => e.At >= failedAt))
            .Sum(i => i.Timeline.Count(e => e.Kind == TimelineKind.Action && e.Outcome == "success" && e.At >= failedAt));
        var rto = $"<= {IncidentReport.Duration(options.Rto)[1..]}";
        List<DrillObjective> objectives =
        [
            new("detection (first signal)", DrillResult.Seconds(After(incident?.FirstSignal)), "", true),
            new("alert received", DrillResult.Seconds(After(incident?.AlertReceived)), "", true),
            new("first action", DrillResult.Seconds(After(incident?.FirstAction)), "", true),
        ];
        if (options.Scenario == "flapping")
        {
            objectives.Add(new DrillObjective("no action on a flap", $"{actions} step(s)", "0", actions == 0));
        }
        else
        {
            foreach (var db in databases)
                objectives.Add(new DrillObjective($"RTO {db.Database}", DrillResult.Seconds(db.RtoSeconds), rto, db.RtoSeconds is { } s && s <= options.Rto.TotalSeconds));
            // Without writes, RTO is where the primary is: out of the lost zone.
            foreach (var (database, zone) in databases.Count > 0 ? [] : PrimaryZones())
            {
                var seconds = moved.TryGetValue(database, out var at) ? After(at) : null;
                objectives.Add(new DrillObjective($"RTO {database} (primary out)", DrillResult.Seconds(seconds), rto, seconds is { } s && s <= options.Rto.TotalSeconds));
            }
            // Without capacity in a zone, capacity restored is reported, not held to: the objective below is.
            objectives.Add(options.NoCapacityIn.Count > 0
                ? new DrillObjective("capacity restored", DrillResult.Seconds(After(capacityRestored)), "", true)
                : new DrillObjective("capacity restored", DrillResult.Seconds(After(capacityRestored)), rto, capacityRestored is { } c && c - failedAt <= options.Rto));
            if (options.NoCapacityIn.Count > 0)
            {
                // Capacity that cannot be launched is DrSentinel's to name or to move, not to conjure: either outcome meets it.
                var shortfalls = incident?.Timeline.Where(e => e.Kind == TimelineKind.CapacityShort).ToList() ?? [];
                // A move rewrites the ledgers of the groups it changes ("record on ... that DrSentinel now applies"): only a move does that.
                var movedTo = incident?.Timeline.Any(e => e is { Kind: TimelineKind.Action, Outcome: "success" } && e.Text.StartsWith("record on ", StringComparison.Ordinal)) == true;
                var said = shortfalls.Count == 0 ? "no shortfall seen"
                    : (movedTo ? "moved through another group; " : "") + string.Join(" | ", shortfalls.Select(e => e.Text));
                objectives.Add(new DrillObjective($"no capacity in {string.Join(", ", options.NoCapacityIn)}", said, "restored or named",
                    capacityRestored is not null || shortfalls.Count > 0));
            }
            // ARC allows one shift per resource: with two zones lost only the first is shifted away, so it is reported, not held to.
            objectives.Add(new DrillObjective("traffic off the lost zone", DrillResult.Seconds(After(trafficOff)), "", true));
        }
        foreach (var db in databases)
            objectives.Add(new DrillObjective($"RPO {db.Database}", db.ReadBack ? $"{db.Lost}/{db.Acknowledged} lost, {db.LostSpanSeconds:F1} s" : "not read back",
                $"<= {IncidentReport.Duration(options.Rpo)[1..]}", db.ReadBack && db.LostSpanSeconds <= options.Rpo.TotalSeconds));
        objectives.Add(new DrillObjective("everything put back", putBack is { } p ? $"{(p - recoveredAt).TotalSeconds:F1} s after recovery" : "no", "yes", putBack is not null));
        return new DrillResult(options.Scenario, zones, options.Speed, alerting, dataPlane, failedAt, recoveredAt, incident?.Id, After(incident?.FirstSignal),
            After(incident?.AlertReceived), After(incident?.FirstAction), After(capacityRestored), putBack is { } back ? Math.Round((back - recoveredAt).TotalSeconds, 1) : null,
            actions, databases, objectives);
    }

    private static async Task<DrillDatabaseResult> MeasureAsync(DatabaseWriter writer, DateTimeOffset failedAt, DateTimeOffset recoveredAt, CancellationToken cancel)
    {
        var attempts = writer.Attempts;
        var during = attempts.Where(a => a.At >= failedAt && a.At <= recoveredAt).ToList();
        double? rto = 0;
        if (during.LastOrDefault(a => !a.Acknowledged) is { } lastFailed)
            rto = during.FirstOrDefault(a => a.Acknowledged && a.Seq > lastFailed.Seq) is { } back ? Math.Round((back.At - failedAt).TotalSeconds, 1) : null;
        var acknowledged = attempts.Where(a => a.Acknowledged).ToList();
        var held = await writer.ReadBackAsync(cancel);
        var lost = held is null ? [] : acknowledged.Where(a => !held.Contains(a.Seq)).ToList();
        var span = lost.Count == 0 ? 0 : (lost[^1].At - lost[0].At + DatabaseWriter.Every).TotalSeconds;
        return new DrillDatabaseResult(writer.Database, writer.Engine, rto, attempts.Count, acknowledged.Count, lost.Count, Math.Round(span, 1), held is not null);
    }

    /// <summary>The incident of the lost zone that began after the failure (or just before it: the first signal can lead).</summary>
    private static Incident? IncidentOf(IncidentLog incidents, IReadOnlyList<string> zones, DateTimeOffset failedAt) =>
        incidents.All().FirstOrDefault(i => zones.Contains(i.Zone) && i.Timeline.Any(e => e.At >= failedAt));

    /// <summary>--az, else the zone that holds the RDS primary (the costliest to lose); two-zones adds the next zone.</summary>
    private List<string> Zones()
    {
        var all = sandbox.Region.Read(r => r.Zones.Keys.Order(StringComparer.Ordinal).ToList());
        var first = options.Zone ?? sandbox.Region.Read(r => r.DbInstances.Values.Where(d => d.ReplicaSourceId is null).Select(d => d.AvailabilityZone).FirstOrDefault())
            ?? all[0];
        if (!all.Contains(first)) throw new StartupConfigurationException($"--az {first} is not a zone of the sandbox region ({string.Join(", ", all)})");
        return options.Scenario == "two-zones" ? [first, all[(all.IndexOf(first) + 1) % all.Count]] : [first];
    }

    private List<DatabaseWriter> Writers(TimeProvider time)
    {
        if (sandbox.DataPlane is null) return [];
        return sandbox.Region.Read(r =>
        {
            List<DatabaseWriter> writers = [];
            foreach (var db in r.DbInstances.Values.Where(d => d.ReplicaSourceId is null && d.ClusterId is null && d.DataPort is not null))
                writers.Add(new PostgresWriter(db.Id, () => sandbox.Region.Read(x => x.DbInstances[db.Id].DataPort), time));
            foreach (var group in r.ReplicationGroups.Values.Where(g => g.PrimaryDataPort is not null))
                writers.Add(new RedisWriter(group.Id, () => sandbox.Region.Read(x => x.ReplicationGroups[group.Id].PrimaryDataPort), time));
            return writers;
        });
    }

    private List<(string Database, string Zone)> PrimaryZones() => sandbox.Region.Read(r =>
        r.DbInstances.Values.Where(d => d.ReplicaSourceId is null && d.ClusterId is null).Select(d => (d.Id, d.AvailabilityZone))
            .Concat(r.ReplicationGroups.Values.Select(g => (g.Id, g.Members.FirstOrDefault(m => m.Primary)?.AvailabilityZone ?? ""))).ToList());

    /// <summary>Nodes that can take pods, outside <paramref name="lost"/>.</summary>
    private int SchedulableReadyNodes(IReadOnlyList<string> lost) =>
        sandbox.Region.Read(r => r.Cluster.Nodes.Count(n => n.Ready && !n.Unschedulable && !lost.Contains(n.AvailabilityZone)));

    /// <summary>Every zonal-shift resource sends no traffic to any of <paramref name="lost"/> (ARC's applied weight 0).</summary>
    private bool TrafficOff(IReadOnlyList<string> lost) =>
        sandbox.Region.Read(r => r.ManagedResources.All(m => r.AppliedWeights(m).Where(w => lost.Contains(r.Topology.ZoneName(w.Key)!)).All(w => w.Value == 0)));

    private string Changeable() => sandbox.Region.Read(r => r.ChangeableByPlaybooks());

    private static async Task ZoneCallAsync(HttpClient control, string zone, string what, CancellationToken cancel)
    {
        using var response = await control.PostAsync($"sandbox/zones/{Uri.EscapeDataString(zone)}/{what}", null, cancel);
        if (!response.IsSuccessStatusCode)
            throw new StartupConfigurationException($"--no-capacity-in {zone}: the sandbox refused it: {await response.Content.ReadAsStringAsync(cancel)}");
    }

    private static async Task UntilAsync(TimeProvider time, Func<bool> done, TimeSpan deadline, CancellationToken cancel)
    {
        var started = time.GetTimestamp();
        while (!done() && time.GetElapsedTime(started) < deadline) await Task.Delay(PollEvery, time, cancel);
    }

    private static async Task PostAsync(HttpClient control, string path, CancellationToken cancel)
    {
        using var response = await control.PostAsync(path, null, cancel);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>"service:Operation": every such call fails with InternalFailure for the drill's length (a sabotaged playbook).</summary>
    private async Task FaultAsync(HttpClient control, string fault, CancellationToken cancel)
    {
        var (service, operation) = (fault.Split(':')[0], fault.Split(':')[1]);
        using var body = new StringContent(JsonSerializer.Serialize(new FaultRequest(service, operation, "InternalFailure", 100000), DrillFaultJsonContext.Default.FaultRequest),
            Encoding.UTF8, "application/json");
        using var response = await control.PostAsync("sandbox/faults", body, cancel);
        if (!response.IsSuccessStatusCode)
            throw new StartupConfigurationException($"--fault {fault}: the sandbox refused it: {await response.Content.ReadAsStringAsync(cancel)}");
        await Say($"sabotage: every {service} {operation} call fails (InternalFailure)");
    }

    private Task Say(string line) => output.WriteLineAsync(line);

    /// <summary>A milestone, once, as it happens: the drill is watched on a terminal.</summary>
    private void Progress(HashSet<string> said, TimeSpan after, string what)
    {
        if (said.Add(what)) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {IncidentReport.Duration(after),-12} {what}"));
    }
}

public sealed record FaultRequest(string Service, string Operation, string ErrorCode, int Count);

[System.Text.Json.Serialization.JsonSerializable(typeof(FaultRequest))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class DrillFaultJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
