using System.Collections.Immutable;
using DrSentinel.Alerting;
using DrSentinel.Incidents;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks;
using DrSentinel.Playbooks.Capacity;
using DrSentinel.Playbooks.RdsFailover;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DrSentinel.Tests.Incidents;

/// <summary>
/// The incident record on a real directory, fed as the engine and the watcher feed it: a gray failure of a zone with an
/// evacuation and a database failover leaves one incident with every step in order, kept across a restart, and a report
/// that reads as the golden file does.
/// </summary>
public sealed class IncidentLogTests : IDisposable
{
    private const string Zone = "eu-central-1a";
    private static readonly string GoldenFile = Path.Combine(AppContext.BaseDirectory, "Incidents", "incident.golden.md");
    private readonly string _state = Directory.CreateTempSubdirectory("drsentinel-incidents-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_state, recursive: true);

    private IncidentLog Open() => new(Options.Create(new ReceiverOptions { StateDirectory = _state }), BuiltInPlaybooks.Table, _time, NullLogger<IncidentLog>.Instance);

    private static ReceivedAlert Alert(string name, string fingerprint, bool firing, DateTimeOffset startsAt, string? database = null)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = name, ["az"] = Zone };
        if (database is not null) labels["db_instance"] = database;
        return new ReceivedAlert(name, firing, labels, startsAt, null, fingerprint, null, "{}:{az=\"eu-central-1a\"}");
    }

    private InboxEntry Delivered(ReceivedAlert alert) => new(alert, _time.GetUtcNow(), null);

    private static AlertRoute RouteOf(ReceivedAlert alert) => BuiltInPlaybooks.Table.Route(alert.Name, alert.Firing, alert.Labels, "pyairtable");

    /// <summary>The zone's probes failing (gray), the RDS primary in it or failed over to eu-central-1b.</summary>
    private static InventorySnapshot Snapshot(bool zoneAnswers, string primaryZone) => new()
    {
        Zones = [.. new[] { Zone, "eu-central-1b", "eu-central-1c" }.Select(z => new ZoneHealth(z, 3, 3, 1, ZoneStatus.Healthy))],
        DbInstances = [new DbInstanceState("orders", "postgres", "available", primaryZone, "eu-central-1b", true, null, null, null, null, null)],
        PostgresProbes =
        [
            new PostgresProbeResult("orders", primaryZone, zoneAnswers || primaryZone != Zone, false, 1, null, null, [], TimeSpan.FromMilliseconds(3)),
            new PostgresProbeResult("orders-replica", "eu-central-1c", true, true, 1, 0.1, true, [], TimeSpan.FromMilliseconds(3)),
        ],
        RedisProbes =
        [
            new RedisProbeResult("sessions", "sessions-001", Zone, zoneAnswers, zoneAnswers ? "replica" : null, null, true, 10, TimeSpan.FromMilliseconds(1)),
            new RedisProbeResult("sessions", "sessions-002", "eu-central-1b", true, "primary", 1, null, 10, TimeSpan.FromMilliseconds(1)),
        ],
    };

    private void At(int minutes, int seconds) => _time.SetUtcNow(new DateTimeOffset(2026, 12, 3, 10, minutes, seconds, TimeSpan.Zero));

    /// <summary>Plays a gray failure through the record: returns the incident's id.</summary>
    private string GrayFailureWithEvacuationAndFailover(IncidentLog log)
    {
        var start = new DateTimeOffset(2026, 12, 3, 10, 0, 10, TimeSpan.Zero);
        log.Observe(Snapshot(zoneAnswers: true, primaryZone: Zone));
        At(0, 7);
        log.Observe(Snapshot(zoneAnswers: false, primaryZone: Zone)); // the first signal, before any alert
        At(1, 12);
        var unreachable = Alert("DrSentinelAzUnreachable", "0a1b2c3d4e5f6071", firing: true, start);
        log.AlertTaken(Delivered(unreachable), RouteOf(unreachable));
        log.Observe(Snapshot(zoneAnswers: false, primaryZone: Zone));
        var cordon = new CordonNodes(Zone, ["ip-10-0-1-10", "ip-10-0-1-11"]);
        var raise = new UpdateGroup("workers", new GroupSettings(3, 3, ["subnet-a", "subnet-b", "subnet-c"], []), new GroupSettings(3, 5, ["subnet-b", "subnet-c"], []));
        var evacuation = new Plan(CapacityPlaybook.PlaybookName, PlanIntent.Evacuate, Zone, PlanVerdict.Act, "the zone is unreachable: every probe into it fails", [cordon, raise], [], 2, 0);
        log.Decided(evacuation, Zone);
        At(1, 13);
        log.Acted(evacuation, cordon, "success", "2 node(s) cordoned");
        log.Acted(evacuation, raise, "success", "desired 3 -> 5");
        At(2, 40);
        var primary = Alert("DrSentinelRdsPrimaryInImpairedAz", "1a2b3c4d5e6f7081", firing: true, start.AddSeconds(30), "orders");
        log.AlertTaken(Delivered(primary), RouteOf(primary));
        log.AlertTaken(Delivered(primary), RouteOf(primary)); // another Alertmanager peer's copy
        var failover = new Plan(RdsFailoverPlaybook.PlaybookName, PlanIntent.Failover, Zone, PlanVerdict.Act, "AWS has not failed orders over after the grace",
            [new FailoverDbInstance("orders", "arn:aws:rds:eu-central-1:123456789012:db:orders", Zone, "eu-central-1b", primary.Episode)], [], 0, 0) { Resource = "orders" };
        log.Decided(failover, $"orders out of {Zone}");
        log.Acted(failover, failover.Steps[0], "success", "RebootDBInstance ForceFailover sent");
        At(3, 5);
        log.Observe(Snapshot(zoneAnswers: false, primaryZone: "eu-central-1b"));
        At(20, 0);
        log.Observe(Snapshot(zoneAnswers: true, primaryZone: "eu-central-1b"));
        At(21, 3);
        foreach (var resolved in new[] { unreachable with { Firing = false }, primary with { Firing = false } })
        {
            log.AlertTaken(Delivered(resolved), RouteOf(resolved));
            if (resolved.Name == "DrSentinelAzUnreachable")
            {
                var restore = new Plan(CapacityPlaybook.PlaybookName, PlanIntent.Restore, Zone, PlanVerdict.Act, "the zone looks healthy again",
                    [new UncordonNodes(Zone, ["ip-10-0-1-10", "ip-10-0-1-11"], [])], [], 0, 0);
                log.Decided(restore, Zone);
                log.Acted(restore, restore.Steps[0], "success", "2 node(s) uncordoned");
                log.Restored(Zone, $"what DrSentinel changed for {Zone} is put back (1 step(s))");
            }
            log.Handled(resolved, RouteOf(resolved));
        }
        return Incident.NewId(Zone, start);
    }

    [Fact]
    public void GrayFailure_EvacuationAndFailover_OneIncidentWithEveryStepInOrder()
    {
        var log = Open();

        var id = GrayFailureWithEvacuationAndFailover(log);

        var incident = Assert.Single(log.All());
        Assert.Equal(id, incident.Id);
        Assert.Equal("eu-central-1a-20261203T100010Z", id);
        Assert.False(incident.Open);
        Assert.Equal(
        [
            TimelineKind.Signal, TimelineKind.AlertFired, TimelineKind.AlertFired, TimelineKind.AlertReceived, TimelineKind.Decision, TimelineKind.Action,
            TimelineKind.Action, TimelineKind.AlertReceived, TimelineKind.Decision, TimelineKind.Action, TimelineKind.PrimaryWritable, TimelineKind.ZoneRecovered,
            TimelineKind.AlertResolved, TimelineKind.Decision, TimelineKind.Action, TimelineKind.Restored, TimelineKind.AlertResolved, TimelineKind.Closed,
        ], incident.Timeline.Select(e => e.Kind));
        Assert.Equal(TimeSpan.FromSeconds(7), incident.FirstSignal - new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 12, 3, 10, 1, 13, TimeSpan.Zero), incident.FirstAction);
        // Only the database whose primary was in the zone: the Redis primary was elsewhere all along.
        Assert.Equal(["orders"], incident.PrimaryWritable.Keys);
    }

    /// <summary>
    /// The alerts can all resolve before a primary DrSentinel moved answers writes again (the zone stops looking impaired
    /// once the primaries have left it): the record then waits for that recovery, for <see cref="IncidentLog.WritableWait"/> at most.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AlertsResolvedBeforeAMovedPrimaryIsWritable_TheIncidentClosesOnceItIs_OrAfterTheWait(bool becomesWritable)
    {
        var log = Open();
        var start = new DateTimeOffset(2026, 12, 3, 10, 0, 10, TimeSpan.Zero);
        log.Observe(Snapshot(zoneAnswers: false, primaryZone: Zone));
        var primary = Alert("DrSentinelRdsPrimaryInImpairedAz", "1a2b3c4d5e6f7081", firing: true, start, "orders");
        log.AlertTaken(Delivered(primary), RouteOf(primary));
        log.Observe(Snapshot(zoneAnswers: false, primaryZone: Zone));
        var failover = new Plan(RdsFailoverPlaybook.PlaybookName, PlanIntent.Failover, Zone, PlanVerdict.Act, "gray",
            [new FailoverDbInstance("orders", "arn:aws:rds:eu-central-1:123456789012:db:orders", Zone, "eu-central-1b", primary.Episode)], [], 0, 0) { Resource = "orders" };
        log.Acted(failover, failover.Steps[0], "success", "sent");
        var resolved = primary with { Firing = false };
        log.AlertTaken(Delivered(resolved), RouteOf(resolved));
        log.Handled(resolved, RouteOf(resolved));

        Assert.True(Assert.Single(log.All()).Open); // orders moved, not yet seen taking writes
        if (becomesWritable)
        {
            _time.Advance(TimeSpan.FromSeconds(20));
            log.Observe(Snapshot(zoneAnswers: false, primaryZone: "eu-central-1b"));
            var closed = Assert.Single(log.All());
            Assert.False(closed.Open);
            Assert.Equal([TimelineKind.PrimaryWritable, TimelineKind.Closed], closed.Timeline.TakeLast(2).Select(e => e.Kind));
            return;
        }
        _time.Advance(IncidentLog.WritableWait - TimeSpan.FromSeconds(1));
        log.Observe(Snapshot(zoneAnswers: false, primaryZone: Zone));
        Assert.True(Assert.Single(log.All()).Open);
        _time.Advance(TimeSpan.FromSeconds(1));
        log.Observe(Snapshot(zoneAnswers: false, primaryZone: Zone));
        var given = Assert.Single(log.All());
        Assert.False(given.Open);
        Assert.Contains("orders not seen writable within 2 min", given.Timeline[^1].Text, StringComparison.Ordinal);
    }

    /// <summary>Under load the watcher's first look at an open incident can come after DrSentinel's failover moved the primary.</summary>
    [Fact]
    public void FailoverQuickerThanTheFirstLook_TheMovedPrimaryIsStillRecordedWritable()
    {
        var log = Open();
        var primary = Alert("DrSentinelRdsPrimaryInImpairedAz", "1a2b3c4d5e6f7081", firing: true, new DateTimeOffset(2026, 12, 3, 10, 0, 10, TimeSpan.Zero), "orders");
        log.AlertTaken(Delivered(primary), RouteOf(primary));
        var failover = new Plan(RdsFailoverPlaybook.PlaybookName, PlanIntent.Failover, Zone, PlanVerdict.Act, "gray",
            [new FailoverDbInstance("orders", "arn:aws:rds:eu-central-1:123456789012:db:orders", Zone, "eu-central-1b", primary.Episode)], [], 0, 0) { Resource = "orders" };
        log.Acted(failover, failover.Steps[0], "success", "sent");
        _time.Advance(TimeSpan.FromSeconds(3));

        log.Observe(Snapshot(zoneAnswers: false, primaryZone: "eu-central-1b"));
        log.Observe(Snapshot(zoneAnswers: false, primaryZone: "eu-central-1b"));

        var incident = Assert.Single(log.All());
        Assert.Equal(["orders"], incident.PrimaryWritable.Keys);
        Assert.Single(incident.Timeline, e => e.Kind == TimelineKind.PrimaryWritable); // once
    }

    [Fact]
    public void Restart_KeepsTheIncident_AndAnOpenOneStaysOpen()
    {
        var id = GrayFailureWithEvacuationAndFailover(Open());
        var before = Assert.Single(Open().All());
        Assert.Equal(id, before.Id);

        var again = Alert("DrSentinelAzUnavailable", "99aa99aa99aa99aa", firing: true, _time.GetUtcNow());
        Open().AlertTaken(Delivered(again), RouteOf(again));
        var reopened = Open();

        Assert.Equal(2, reopened.All().Count);
        Assert.True(reopened.All()[0].Open);
        Assert.Equal(before.Timeline.Select(e => e.ToString()), reopened.Find(id)!.Timeline.Select(e => e.ToString()));
    }

    [Fact]
    public void AResolutionWithNothingOpen_OpensNothing()
    {
        var log = Open();
        var resolved = Alert("DrSentinelAzUnavailable", "77", firing: false, _time.GetUtcNow());

        log.AlertTaken(Delivered(resolved), RouteOf(resolved));

        Assert.Empty(log.All());
    }

    [Fact]
    public void TheRecord_KeepsOnlyTheNewestIncidents()
    {
        var log = Open();
        for (var i = 0; i < IncidentLog.MaxIncidents + 5; i++)
        {
            _time.Advance(TimeSpan.FromHours(1));
            var firing = Alert("DrSentinelAzUnavailable", $"{i:x16}", firing: true, _time.GetUtcNow());
            log.AlertTaken(Delivered(firing), RouteOf(firing));
            var resolved = firing with { Firing = false };
            log.AlertTaken(Delivered(resolved), RouteOf(resolved));
            log.Handled(resolved, RouteOf(resolved));
        }

        var kept = Open().All();
        Assert.Equal(IncidentLog.MaxIncidents, kept.Count);
        Assert.All(kept, i => Assert.False(i.Open));
    }

    [Fact]
    public void Report_ReadsAsTheGoldenFile()
    {
        var log = Open();
        var id = GrayFailureWithEvacuationAndFailover(log);

        var text = IncidentReport.Markdown(log.Find(id)!);

        if (Environment.GetEnvironmentVariable("DRSENTINEL_UPDATE_GOLDEN") is { Length: > 0 } source)
            File.WriteAllText(Path.Combine(source, "tests", "DrSentinel.Tests", "Incidents", "incident.golden.md"), text);
        Assert.Equal(File.ReadAllText(GoldenFile), text);
    }

    [Fact]
    public void ATornLine_IsLeftOut_TheRestKept()
    {
        var id = GrayFailureWithEvacuationAndFailover(Open());
        File.AppendAllText(Path.Combine(_state, IncidentLog.FileName), "{\"incident\":\"eu-central-1a-2026");

        var (entries, unreadable) = IncidentLog.Read(Path.Combine(_state, IncidentLog.FileName));

        Assert.Equal(1, unreadable);
        Assert.Equal(id, Assert.Single(Incident.Fold(entries)).Id);
    }
}
