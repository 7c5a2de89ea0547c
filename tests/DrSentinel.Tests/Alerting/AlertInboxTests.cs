using System.Collections.Immutable;
using DrSentinel.Alerting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DrSentinel.Tests.Alerting;

/// <summary>The inbox journal on a real directory: what is acknowledged survives a restart, what is handled stays handled.</summary>
public sealed class AlertInboxTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly string _state = Directory.CreateTempSubdirectory("drsentinel-inbox-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_state, recursive: true);

    private AlertInbox Open(int capacity = 1000) =>
        new(Options.Create(new ReceiverOptions { StateDirectory = _state, QueueCapacity = capacity }), _time, NullLogger<AlertInbox>.Instance);

    private static ReceivedAlert Alert(string fingerprint, bool firing = true) => new("DrSentinelAzUnavailable", firing,
        new Dictionary<string, string>(StringComparer.Ordinal) { ["az"] = "eu-central-1a" },
        new DateTimeOffset(2026, 11, 25, 2, 59, 0, TimeSpan.Zero), null, fingerprint, null, "{}:{}");

    private static async Task<List<InboxEntry>> TakeAsync(AlertInbox inbox, int count)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var taken = new List<InboxEntry>();
        while (taken.Count < count) taken.Add(await inbox.Ready.ReadAsync(deadline.Token));
        return taken;
    }

    [Fact]
    public async Task Accept_SameAlertTwiceInOneBodyAndAgainLater_OneAccepted()
    {
        await using var inbox = Open();

        var first = await inbox.AcceptAsync([Alert("aa"), Alert("aa"), Alert("aa", firing: false)], null, CancellationToken.None);
        var again = await inbox.AcceptAsync([Alert("aa")], null, CancellationToken.None);

        Assert.Equal([AcceptOutcome.Accepted, AcceptOutcome.Duplicate, AcceptOutcome.Accepted], first);
        Assert.Equal([AcceptOutcome.Duplicate], again);
        Assert.Equal(2, inbox.Waiting);
        Assert.Equal(2, (await TakeAsync(inbox, 2)).Count);
    }

    [Fact]
    public async Task Restart_AcceptedAreQueuedAgain_HandledStayDuplicates()
    {
        await using (var inbox = Open())
        {
            await inbox.AcceptAsync([Alert("handled"), Alert("waiting")], null, CancellationToken.None);
            var taken = await TakeAsync(inbox, 2);
            inbox.Complete(taken.Single(e => e.Alert.Fingerprint == "handled"));
        }

        await using var reopened = Open();

        Assert.Equal(1, reopened.Waiting);
        Assert.Equal("waiting", (await TakeAsync(reopened, 1)).Single().Alert.Fingerprint);
        Assert.Equal([AcceptOutcome.Duplicate, AcceptOutcome.Duplicate],
            await reopened.AcceptAsync([Alert("handled"), Alert("waiting")], null, CancellationToken.None));
    }

    [Fact]
    public async Task Restart_TornLastLine_IsSetAsideAndTheRestKept()
    {
        await using (var inbox = Open()) await inbox.AcceptAsync([Alert("whole")], null, CancellationToken.None);
        await File.AppendAllTextAsync(Path.Combine(_state, "inbox", "journal.jsonl"), "{\"Accepted\":{\"Name\":\"DrSentinelAzUn");

        await using var reopened = Open();

        Assert.Equal("whole", (await TakeAsync(reopened, 1)).Single().Alert.Fingerprint);
        Assert.Single(Directory.GetFiles(Path.Combine(_state, "inbox", "unreadable")));
        Assert.Equal([AcceptOutcome.Accepted], await reopened.AcceptAsync([Alert("after")], null, CancellationToken.None));
    }

    [Fact]
    public async Task Accept_MoreThanCapacity_TakesNoneOfTheBody()
    {
        await using var inbox = Open(capacity: 2);
        await inbox.AcceptAsync([Alert("one")], null, CancellationToken.None);

        await Assert.ThrowsAsync<InboxFullException>(() => inbox.AcceptAsync([Alert("two"), Alert("three")], null, CancellationToken.None));

        Assert.Equal(1, inbox.Waiting);
        Assert.Equal([AcceptOutcome.Accepted], await inbox.AcceptAsync([Alert("two")], null, CancellationToken.None));
    }

    [Fact]
    public async Task Journal_RewrittenWhenLong_KeepsWaitingAndHandledOnly()
    {
        var journal = Path.Combine(_state, "inbox", "journal.jsonl");
        await using (var inbox = Open(capacity: 100_000))
        {
            await inbox.AcceptAsync([Alert("waiting-before")], null, CancellationToken.None);
            await TakeAsync(inbox, 1); // taken, never completed: still waiting when the journal is rewritten
            for (var (batch, previous) = (0, 0L); ; batch++)
            {
                var alerts = Enumerable.Range(0, 200).Select(i => Alert($"{batch:x4}{i:x4}")).ToList();
                await inbox.AcceptAsync(alerts, null, CancellationToken.None);
                foreach (var entry in await TakeAsync(inbox, alerts.Count)) inbox.Complete(entry);
                var length = new FileInfo(journal).Length;
                if (length < previous) break; // rewritten
                previous = length;
                Assert.True(batch < 1000, "the journal was never rewritten");
            }
            await inbox.AcceptAsync([Alert("waiting-after")], null, CancellationToken.None);
        }

        await using var reopened = Open();

        Assert.Equal(2, reopened.Waiting);
        var waiting = (await TakeAsync(reopened, 2)).Select(e => e.Alert.Fingerprint).Order(StringComparer.Ordinal);
        Assert.Equal(["waiting-after", "waiting-before"], waiting);
        Assert.Equal([AcceptOutcome.Duplicate], await reopened.AcceptAsync([Alert("00000000")], null, CancellationToken.None));
    }

    [Fact]
    public async Task Prune_ForgetsHandledAlertsOlderThanTheMemory()
    {
        await using (var inbox = Open())
        {
            await inbox.AcceptAsync([Alert("old")], null, CancellationToken.None);
            inbox.Complete((await TakeAsync(inbox, 1)).Single());
        }
        _time.Advance(TimeSpan.FromDays(8));

        await using var reopened = Open();

        Assert.Equal(0, reopened.Waiting);
        Assert.Equal([AcceptOutcome.Accepted], await reopened.AcceptAsync([Alert("old")], null, CancellationToken.None));
    }
}
