using DrSentinel.Inventory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DrSentinel.Tests.Inventory;

public sealed class SourceRunnerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly CountingTime _time = new(new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero));
    private readonly InventoryStore _store = new(Options.Create(new InventoryOptions()));

    /// <summary>A source that does what the test queues for each refresh, and counts its refreshes.</summary>
    private sealed class ScriptedSource : IInventorySource
    {
        public Queue<Func<CancellationToken, Task<Func<InventorySnapshot, InventorySnapshot>>>> Script { get; } = new();
        public int Refreshes;
        public string Name => "scripted";
        public TimeSpan Interval => TimeSpan.FromSeconds(15);

        public Task<Func<InventorySnapshot, InventorySnapshot>> RefreshAsync(InventorySnapshot current, CancellationToken cancel)
        {
            Interlocked.Increment(ref Refreshes);
            return Script.Dequeue()(cancel);
        }
    }

    private static Func<CancellationToken, Task<Func<InventorySnapshot, InventorySnapshot>>> Sets(string dbInstance) =>
        _ => Task.FromResult<Func<InventorySnapshot, InventorySnapshot>>(s => s with
        {
            DbInstances = [new DbInstanceState(dbInstance, "postgres", "available", "a", null, false, null, null, null, null, null)],
        });

    private async Task<SourceRunner> StartAsync(ScriptedSource source)
    {
        var runner = new SourceRunner(source, _store, _time, NullLogger<SourceRunner>.Instance);
        await runner.StartAsync(CancellationToken.None);
        return runner;
    }

    private static async Task PollAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException(what);
            await Task.Yield();
        }
    }

    [Fact]
    public async Task Refresh_Succeeds_AppliesValuesAndReportsUpAtTheClocksTime()
    {
        var source = new ScriptedSource();
        source.Script.Enqueue(Sets("db-1"));
        using var runner = await StartAsync(source);

        await PollAsync(() => _store.Current.Sources.ContainsKey("scripted"), "first refresh reported");

        Assert.Equal(new SourceStatus(true, _time.GetUtcNow(), TimeSpan.Zero, null), _store.Current.Sources["scripted"]);
        Assert.Equal("db-1", Assert.Single(_store.Current.DbInstances).Id);
        await runner.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Refresh_Fails_KeepsLastValuesAndLastSuccess_AndReportsDownWithTheErrorType()
    {
        var source = new ScriptedSource();
        source.Script.Enqueue(Sets("db-1"));
        source.Script.Enqueue(_ => throw new InvalidDataException("garbled answer"));
        using var runner = await StartAsync(source);
        await PollAsync(() => _store.Current.Sources.ContainsKey("scripted"), "first refresh reported");
        var firstSuccess = _time.GetUtcNow();

        _time.Advance(source.Interval);
        await PollAsync(() => !_store.Current.Sources["scripted"].Up, "failed refresh reported");

        var status = _store.Current.Sources["scripted"];
        Assert.Equal((false, firstSuccess, "InvalidDataException"), (status.Up, status.LastSuccess, status.LastErrorType));
        Assert.Equal("db-1", Assert.Single(_store.Current.DbInstances).Id);
        await runner.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Refresh_FailsAtStart_TriedAgainAfterOneThenTwoSeconds_ThenOnTheInterval()
    {
        var source = new ScriptedSource();
        source.Script.Enqueue(_ => throw new HttpRequestException("refused"));
        source.Script.Enqueue(_ => throw new HttpRequestException("refused"));
        source.Script.Enqueue(Sets("db-1"));
        source.Script.Enqueue(Sets("db-2"));
        using var runner = await StartAsync(source);
        // Each refresh starts two timers (its timeout, then the wait for the next): the clock moves only once the runner waits.
        await PollAsync(() => _time.Timers == 2, "first failure, then a wait");
        Assert.False(_store.Current.Sources["scripted"].Up);

        _time.Advance(TimeSpan.FromSeconds(1));
        await PollAsync(() => source.Refreshes == 2 && _time.Timers == 4, "retried after 1 s, then a wait");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, source.Refreshes);
        _time.Advance(TimeSpan.FromSeconds(1));
        await PollAsync(() => _store.Current.Sources["scripted"].Up && _time.Timers == 6, "retried after 2 s more, and up, then a wait");
        _time.Advance(source.Interval - TimeSpan.FromSeconds(1));
        Assert.Equal(3, source.Refreshes);
        _time.Advance(TimeSpan.FromSeconds(1));
        await PollAsync(() => source.Refreshes == 4, "then on the interval");
        await runner.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Refresh_HangsPastItsInterval_IsCutOffAndReportedAsTimeout()
    {
        var source = new ScriptedSource();
        source.Script.Enqueue(async cancel =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancel);
            throw new InvalidOperationException("unreachable");
        });
        var release = new TaskCompletionSource();
        source.Script.Enqueue(async cancel =>
        {
            await release.Task;
            return await Sets("db-2")(cancel);
        });
        using var runner = await StartAsync(source);
        await PollAsync(() => source.Refreshes == 1, "first refresh started");

        _time.Advance(source.Interval);
        await PollAsync(() => _store.Current.Sources.TryGetValue("scripted", out var s) && s.LastErrorType == "Timeout", "timeout reported");
        Assert.Null(_store.Current.Sources["scripted"].LastSuccess);

        await PollAsync(() => source.Refreshes == 2, "the next refresh starts on the tick that came meanwhile");
        release.SetResult();
        await PollAsync(() => _store.Current.Sources["scripted"].Up, "next refresh reported");
        Assert.Equal("db-2", Assert.Single(_store.Current.DbInstances).Id);
        await runner.StopAsync(CancellationToken.None);
    }
}
