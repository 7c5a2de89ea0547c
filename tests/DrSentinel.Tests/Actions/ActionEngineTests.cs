using System.Collections.Concurrent;
using System.Collections.Immutable;
using DrSentinel.Actions;
using DrSentinel.Alerting;
using DrSentinel.Incidents;
using DrSentinel.Inventory;
using DrSentinel.Leadership;
using DrSentinel.Metrics;
using DrSentinel.Planning;
using DrSentinel.Playbooks;
using DrSentinel.Readiness;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Prometheus;

namespace DrSentinel.Tests.Actions;

/// <summary>
/// The engine, on a clock the test moves, with a playbook it knows only through the table (nothing of DrSentinel's own
/// playbooks is involved) and step handlers that answer from the test: lanes, waiting, the hourly cap, replans and the
/// kill switch mid-plan.
/// </summary>
public sealed class ActionEngineTests : IAsyncLifetime
{
    private const string ZoneAlert = "TestZoneLost";
    private const string DatabaseAlert = "TestDatabaseLost";
    private readonly CountingTime _time = new();
    private readonly string _state = Directory.CreateTempSubdirectory("drsentinel-engine-").FullName;
    private readonly ActionOptions _options = new() { DryRun = false, RecheckEvery = TimeSpan.FromSeconds(30), MaxReplans = 3, MaxActionsPerHour = 30 };
    private readonly TestPlaybook _playbook = new();
    private readonly TestSteps _steps = new();
    private AlertInbox _inbox = null!;
    private ActionEngine _engine = null!;
    private ActionHistory _history = null!;
    private KillSwitch _killSwitch = null!;
    private int _fingerprints;


    /// <summary>A playbook of the test's own: a zone alert and a database alert, each planned by a function the test sets.</summary>
    private sealed class TestPlaybook : IPlaybook
    {
        public readonly ConcurrentQueue<PlanRequest> Requests = new();

        public Func<PlanRequest, Plan> Planner { get; set; } = r => Acting(r, "step-1");

        public string Name => "test-playbook";

        public ImmutableDictionary<string, string?> Alerts { get; } =
            ImmutableDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(ZoneAlert, (string?)null), KeyValuePair.Create(DatabaseAlert, (string?)"db")]);

        public ImmutableArray<string> Reads => [];

        public Plan Plan(PlanRequest request)
        {
            Requests.Enqueue(request);
            return Planner(request);
        }

        public IEnumerable<AlertRoute> RoutesIfLost(string zone, InventorySnapshot snapshot) => [];

        public IEnumerable<ReadinessCheck> Readiness(ReadinessRequest request) => [];
    }

    private sealed record TestStep(string Name) : PlanStep(Name)
    {
        public override string Action => "test-step";

        public override string Kind => "TestResource";

        public override string Describe() => $"do {Name}";
    }

    /// <summary>Runs each step by the answer the test gave its name (success unless told), and remembers what ran.</summary>
    private sealed class TestSteps : IStepHandler
    {
        public readonly ConcurrentQueue<string> Ran = new();
        public readonly ConcurrentDictionary<string, Func<Task<StepResult>>> Answers = new(StringComparer.Ordinal);

        public bool Takes(PlanStep planStep) => planStep is TestStep;

        public async Task<StepResult> RunAsync(PlanStep planStep, Action calling, CancellationToken cancel)
        {
            calling();
            Ran.Enqueue(planStep.Resource);
            return Answers.TryGetValue(planStep.Resource, out var answer) ? await answer().WaitAsync(cancel) : StepResult.Changed("done");
        }
    }

    private static Plan Acting(PlanRequest r, params string[] steps) =>
        new(r.Route.Playbook, r.Route.Intent!.Value, r.Route.Zone!, PlanVerdict.Act, "the test says act", [.. steps.Select(s => (PlanStep)new TestStep(s))], [], 0, 0)
            { Resource = r.Route.Resource };

    private static Plan Waiting(PlanRequest r) =>
        Plan.Refuse(r.Route.Playbook, r.Route.Intent!.Value, r.Route.Zone!, RefusalCodes.ZoneHealthy, "the test says the zone looks fine") with
            { Resource = r.Route.Resource, WaitsForZone = true };

    public async Task InitializeAsync()
    {
        var (receiver, actions) = (Options.Create(new ReceiverOptions { StateDirectory = _state }), Options.Create(_options));
        var factory = Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry());
        var kubernetes = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = "http://127.0.0.1:9" }); // Events fail, and are said to
        var calls = new ApiCallRecorder(factory, _time);
        var leadership = new LeaseElector(kubernetes, Options.Create(new LeadershipOptions { Enabled = false }), calls, new LeadershipMetrics(factory), _time,
            NullLogger<LeaseElector>.Instance);
        var playbooks = new PlaybookTable([_playbook]);
        var store = new InventoryStore(Options.Create(new InventoryOptions()));
        store.Update(s => s with { Sources = s.Sources.SetItem(DrSentinel.Inventory.Kubernetes.NodeInformer.SourceName, new SourceStatus(true, _time.GetUtcNow(), TimeSpan.Zero, null)) });
        _history = new ActionHistory(receiver, actions, leadership, _time, NullLogger<ActionHistory>.Instance);
        _killSwitch = new KillSwitch(actions, receiver, leadership);
        var incidents = new IncidentLog(receiver, playbooks, _time, NullLogger<IncidentLog>.Instance);
        var metrics = new ActionMetrics(factory);
        var executor = new StepExecutor([_steps], new StepRetries(actions, _time, NullLogger<StepRetries>.Instance));
        var events = new ActionEvents(kubernetes, calls, actions, _time, NullLogger<ActionEvents>.Instance);
        var runner = new PlanRunner(executor, events, _history, _killSwitch, incidents, metrics, actions, _time, NullLogger<PlanRunner>.Instance);
        var planMaker = new PlanMaker(playbooks, store, [], _history, _time, NullLogger<PlanMaker>.Instance);
        _inbox = new AlertInbox(receiver, _time, NullLogger<AlertInbox>.Instance);
        _engine = new ActionEngine(playbooks, _inbox, store, [], planMaker, runner, _history, _killSwitch, incidents, metrics, leadership, actions,
            Options.Create(new InventoryOptions()), _time, NullLogger<ActionEngine>.Instance);
        await _engine.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _engine.StopAsync(CancellationToken.None);
        _engine.Dispose();
        await _inbox.DisposeAsync();
        Directory.Delete(_state, recursive: true);
    }

    private async Task<ReceivedAlert> SendAsync(string name, bool firing = true, string? db = null, DateTimeOffset? startsAt = null)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = name, ["az"] = "eu-central-1a" };
        if (db is not null) labels["db"] = db;
        var fingerprint = $"{name}|{db}".GetHashCode(StringComparison.Ordinal).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        var alert = new ReceivedAlert(name, firing, labels, startsAt ?? _time.GetUtcNow().AddMinutes(-5), firing ? null : _time.GetUtcNow(), fingerprint, null,
            $"group-{Interlocked.Increment(ref _fingerprints)}");
        await _inbox.AcceptAsync([alert], null, CancellationToken.None);
        return alert;
    }

    /// <summary>Polls with a deadline: the engine's lanes run on the thread pool.</summary>
    private static async Task UntilAsync(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// For asserting that something does not happen: a moment of real time for the lanes to run, the fake clock still.
    /// Never used to wait for something that does.
    /// </summary>
    private static async Task SettledAsync() => await Task.Delay(200);

    [Fact]
    public async Task APlaybookKnownOnlyThroughTheTable_IsRoutedPlannedAndCarriedOut_AndItsStepRecorded()
    {
        _playbook.Planner = r => Acting(r, "step-1", "step-2");

        await SendAsync(ZoneAlert);

        await UntilAsync(() => _steps.Ran.Count == 2, "both steps");
        Assert.Equal(["step-1", "step-2"], _steps.Ran);
        var request = Assert.Single(_playbook.Requests);
        Assert.Equal((PlanIntent.Evacuate, "eu-central-1a", "test-playbook"), (request.Route.Intent!.Value, request.Route.Zone!, request.Route.Playbook));
        await UntilAsync(() => _history.Snapshot().Count == 2, "the history");
        Assert.All(_history.Snapshot(), r => Assert.Equal("test-step", r.Action));
        await UntilAsync(() => _inbox.Waiting == 0, "the alert handled");
    }

    [Fact]
    public async Task Lanes_ADatabaseStepRuns_WhileTheZoneLaneIsStillInItsStep()
    {
        var zoneStep = new TaskCompletionSource<StepResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _steps.Answers["zone-step"] = () => zoneStep.Task;
        _playbook.Planner = r => Acting(r, r.Route.Resource is null ? "zone-step" : $"failover-{r.Route.Resource}");

        try
        {
            await SendAsync(ZoneAlert);
            await UntilAsync(() => _steps.Ran.Contains("zone-step"), "the zone's step to begin");
            await SendAsync(DatabaseAlert, db: "orders");
            await SendAsync(DatabaseAlert, db: "billing");

            await UntilAsync(() => _steps.Ran.Contains("failover-orders") && _steps.Ran.Contains("failover-billing"), "each database's step, the zone's still running");
        }
        finally
        {
            zoneStep.TrySetResult(StepResult.Changed("done"));
        }
        await UntilAsync(() => _inbox.Waiting == 0, "every alert handled");
    }

    [Fact]
    public async Task Waiting_APlanRefusedForHowTheZoneLooks_IsMadeAgainAfterRecheckEvery_AndActsThen()
    {
        var acting = false;
        _playbook.Planner = r => Volatile.Read(ref acting) ? Acting(r, "late-step") : Waiting(r);

        var timers = _time.Timers;
        await SendAsync(ZoneAlert);
        await UntilAsync(() => _playbook.Requests.Count == 2, "the plan from the snapshot and the one from a fresh read");
        await UntilAsync(() => _time.Timers > timers, "the wait before the recheck");
        Volatile.Write(ref acting, true);

        _time.Advance(_options.RecheckEvery - TimeSpan.FromMilliseconds(1));
        await SettledAsync();
        Assert.Equal(2, _playbook.Requests.Count); // not a millisecond early
        Assert.Empty(_steps.Ran);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await UntilAsync(() => _steps.Ran.Contains("late-step"), "the step once the plan is made again");
        await UntilAsync(() => _inbox.Waiting == 0, "the alert handled");
    }

    [Fact]
    public async Task Waiting_TheOppositeAlertHandled_EndsTheWait_AndThePlanIsNotMadeAgain()
    {
        var started = _time.GetUtcNow().AddMinutes(-5);
        _playbook.Planner = r => r.Route.Intent == PlanIntent.Evacuate ? Waiting(r) : Plan.Nothing(r.Route.Playbook, PlanIntent.Restore, r.Route.Zone!, "none", "nothing to undo");
        var timers = _time.Timers;
        await SendAsync(ZoneAlert, startsAt: started);
        await UntilAsync(() => _playbook.Requests.Count == 2, "the waiting plan");
        await UntilAsync(() => _time.Timers > timers, "the wait before the recheck");
        _time.Advance(TimeSpan.FromSeconds(1));

        await SendAsync(ZoneAlert, firing: false, startsAt: started);
        await UntilAsync(() => _playbook.Requests.Any(r => r.Route.Intent == PlanIntent.Restore), "the resolution planned");
        var plansBefore = _playbook.Requests.Count;
        _time.Advance(_options.RecheckEvery);

        await UntilAsync(() => _inbox.Waiting == 0, "the waiting alert dropped");
        await SettledAsync();
        Assert.Equal(plansBefore, _playbook.Requests.Count);
        Assert.Empty(_steps.Ran);
    }

    [Fact]
    public async Task Budget_APlanThatWouldPassTheHourlyCap_IsRefusedWhole()
    {
        _options.MaxActionsPerHour = 2;
        await RestartAsync(); // the cap is read when the history is made
        _playbook.Planner = r => Acting(r, "a", "b", "c");

        await SendAsync(ZoneAlert);

        await UntilAsync(() => _inbox.Waiting == 0, "the alert handled");
        await SettledAsync();
        Assert.Empty(_steps.Ran);
        Assert.Empty(_history.Snapshot());
    }

    [Fact]
    public async Task Replans_AStaleStepPlansAgain_AndStopsAfterMaxReplans()
    {
        _steps.Answers["moving"] = () => Task.FromResult(StepResult.Stale("changed under the plan"));
        _playbook.Planner = r => Acting(r, "moving");

        await SendAsync(ZoneAlert);

        await UntilAsync(() => _inbox.Waiting == 0, "the engine to give up");
        await SettledAsync();
        Assert.Equal(_options.MaxReplans, _steps.Ran.Count);
        Assert.Equal(_options.MaxReplans, _playbook.Requests.Count);
    }

    [Fact]
    public async Task KillSwitch_EngagedDuringAStep_StopsThePlanBeforeItsNextStep()
    {
        _steps.Answers["first"] = async () =>
        {
            await _killSwitch.SetAsync(true, "the test", CancellationToken.None);
            return StepResult.Changed("done");
        };
        _playbook.Planner = r => Acting(r, "first", "second");

        await SendAsync(ZoneAlert);

        await UntilAsync(() => _inbox.Waiting == 0, "the alert handled");
        await SettledAsync();
        Assert.Equal(["first"], _steps.Ran);
        Assert.Single(_history.Snapshot());
    }

    [Fact]
    public void Table_RefusesTwoPlaybooksAnsweringOneAlert()
    {
        var error = Assert.Throws<ArgumentException>(() => new PlaybookTable([new TestPlaybook(), BuiltInPlaybooks.Table["az-capacity"], new TestPlaybook()]));
        Assert.Contains("test-playbook", error.Message, StringComparison.Ordinal);
    }

    private async Task RestartAsync()
    {
        await _engine.StopAsync(CancellationToken.None);
        _engine.Dispose();
        await _inbox.DisposeAsync();
        await InitializeAsync();
    }
}
