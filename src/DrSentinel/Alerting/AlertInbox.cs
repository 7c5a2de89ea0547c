using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace DrSentinel.Alerting;

/// <summary>An accepted alert waiting to be acted on, with the trace context of the request that brought it.</summary>
public sealed record InboxEntry(ReceivedAlert Alert, DateTimeOffset ReceivedAt, string? TraceParent)
{
    /// <summary>Its <see cref="ReceivedAlert.DedupKey"/>: what the inbox knows it by.</summary>
    public string Key { get; } = Alert.DedupKey;
}

public enum AcceptOutcome { Accepted, Duplicate }

public sealed class InboxFullException(int capacity) : Exception($"{capacity} alerts are waiting to be acted on (Receiver:QueueCapacity)");

/// <summary>
/// The durable, deduplicating queue between the webhook and the engine: an append-only journal of "accepted" and
/// "handled" records. A request's new alerts are accepted once their records are flushed to the device; only then does
/// the webhook answer 202. Records of concurrent requests share one write and one flush (group commit), so a burst
/// costs a flush per batch, not per alert. The engine may begin on a new alert while its flush is under way (a flush
/// can take milliseconds on a busy disk): every plan is made from the ledger on the resources, so an alert whose flush
/// fails (answered 503, sent again) or is lost in a crash before its 202 is at most planned twice, never acted on twice. Every delivery of the same alert (same fingerprint, start and status) after
/// the first is a duplicate, answered once the first is durable. A handled alert is remembered for
/// <see cref="ReceiverOptions.DuplicateMemory"/>, so a restart does not act twice; an alert accepted and not handled
/// is handled after a restart.
/// </summary>
public sealed partial class AlertInbox : IAsyncDisposable
{
    /// <summary>The journal is rewritten with only what is still needed once it is this big and twice its last rewrite.</summary>
    private const long CompactAboveBytes = 8 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, Task> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InboxEntry> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _handled = new(StringComparer.Ordinal);
    private readonly Channel<InboxEntry> _ready = Channel.CreateUnbounded<InboxEntry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<JournalWrite> _writes = Channel.CreateUnbounded<JournalWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ReceiverOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AlertInbox> _logger;
    private readonly string _journalPath;
    private readonly Task _writer;
    private FileStream _journal;
    private long _compactedLength;
    private int _waiting;

    public AlertInbox(IOptions<ReceiverOptions> options, TimeProvider time, ILogger<AlertInbox> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        var directory = Path.Combine(_options.StateDirectory, "inbox");
        _journalPath = Path.Combine(directory, "journal.jsonl");
        try
        {
            Directory.CreateDirectory(directory);
            Recover();
            _journal = Compact();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupConfigurationException($"Receiver:StateDirectory: cannot keep the inbox in {directory}: {e.Message}");
        }
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Alerts accepted and not yet handled.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public ChannelReader<InboxEntry> Ready => _ready.Reader;

    /// <summary>
    /// Accepts a notification's actionable alerts, all or none: hands the new ones to the engine and returns once they are
    /// on disk and the duplicates' first deliveries are. Throws <see cref="InboxFullException"/> or the I/O error that kept
    /// them off the disk; then nothing of this request was accepted (Alertmanager sends it again).
    /// </summary>
    public async Task<IReadOnlyList<AcceptOutcome>> AcceptAsync(IReadOnlyList<ReceivedAlert> alerts, string? traceParent, CancellationToken cancel)
    {
        var receivedAt = _time.GetUtcNow();
        var outcomes = new AcceptOutcome[alerts.Count];
        // What Alertmanager sends most is a group it sent before: known, on disk, answered without allocating for the rest.
        List<Task>? earlier = null;
        List<InboxEntry>? fresh = null;
        TaskCompletionSource? durable = null;
        for (var i = 0; i < alerts.Count; i++)
        {
            var key = alerts[i].DedupKey;
            if (!_known.TryGetValue(key, out var first))
            {
                durable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                first = _known.GetOrAdd(key, durable.Task);
                if (first == durable.Task)
                {
                    outcomes[i] = AcceptOutcome.Accepted;
                    (fresh ??= []).Add(new InboxEntry(alerts[i], receivedAt, traceParent));
                    continue;
                }
            }
            // Delivered before, by another request or earlier in this one; if that is still being written, wait for it.
            outcomes[i] = AcceptOutcome.Duplicate;
            if (first != durable?.Task && !first.IsCompletedSuccessfully) (earlier ??= []).Add(first);
        }
        if (fresh is not null)
        {
            if (Interlocked.Add(ref _waiting, fresh.Count) > _options.QueueCapacity)
            {
                Interlocked.Add(ref _waiting, -fresh.Count);
                var full = new InboxFullException(_options.QueueCapacity);
                foreach (var entry in fresh) _known.TryRemove(entry.Key, out _);
                durable!.SetException(full);
                throw full;
            }
            foreach (var entry in fresh) _pending[entry.Key] = entry;
            using var buffer = new MemoryStream();
            foreach (var entry in fresh) AppendRecord(buffer, new JournalRecord(StoredAlert.From(entry), null, null));
            _writes.Writer.TryWrite(new JournalWrite(buffer.ToArray(), fresh, durable!));
            foreach (var entry in fresh) _ready.Writer.TryWrite(entry);
            (earlier ??= []).Add(durable!.Task);
        }
        // The answer waits for the disk, but the write goes on without it: an aborted request's alerts are still acted on.
        if (earlier is not null) await Task.WhenAll(earlier).WaitAsync(cancel).ConfigureAwait(false);
        return outcomes;
    }

    /// <summary>Offers an accepted alert, still pending, to the engine again.</summary>
    public void Requeue(InboxEntry entry) => _ready.Writer.TryWrite(entry);

    /// <summary>Whether this entry is still waiting to be handled: not handled, and not withdrawn because its write failed.</summary>
    public bool IsPending(InboxEntry entry) => _pending.TryGetValue(entry.Key, out var pending) && ReferenceEquals(pending, entry);

    /// <summary>Marks an alert handled. Not flushed on its own: after a crash the engine may see it again and find nothing left to do.</summary>
    public void Complete(InboxEntry entry)
    {
        var at = _time.GetUtcNow();
        _handled[entry.Key] = at;
        if (_pending.TryRemove(new KeyValuePair<string, InboxEntry>(entry.Key, entry))) Interlocked.Decrement(ref _waiting);
        using var buffer = new MemoryStream();
        AppendRecord(buffer, new JournalRecord(null, entry.Key, at));
        _writes.Writer.TryWrite(new JournalWrite(buffer.ToArray(), [], null));
    }

    /// <summary>Forgets handled alerts older than the duplicate memory; the journal drops them at its next rewrite.</summary>
    public int Prune()
    {
        var cutoff = _time.GetUtcNow() - _options.DuplicateMemory;
        var pruned = 0;
        foreach (var (key, at) in _handled)
        {
            if (at >= cutoff || !_handled.TryRemove(key, out _)) continue;
            _known.TryRemove(key, out _);
            pruned++;
        }
        return pruned;
    }

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        // What is queued reaches the disk before the file closes (a writer stuck on a dead disk is not waited for long).
        await _writer.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        await _journal.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Withdraws alerts whose write failed, so that Alertmanager's next delivery is taken as new and written again.</summary>
    private void Withdraw(List<InboxEntry> entries, Exception why, TaskCompletionSource durable)
    {
        foreach (var entry in entries)
        {
            _known.TryRemove(entry.Key, out _);
            if (_pending.TryRemove(new KeyValuePair<string, InboxEntry>(entry.Key, entry))) Interlocked.Decrement(ref _waiting);
        }
        durable.SetException(why);
    }

    /// <summary>The one writer: everything queued since its last flush goes out in one write and, if anyone waits for it, one flush.</summary>
    private async Task WriteLoopAsync()
    {
        var batch = new List<JournalWrite>();
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (_writes.Reader.TryRead(out var write)) batch.Add(write);
            var start = _journal.Position;
            try
            {
                foreach (var write in batch) _journal.Write(write.Bytes);
                _journal.Flush(flushToDisk: batch.Exists(w => w.Durable is not null));
            }
            catch (Exception e) // whatever kept the batch off the disk, its requests must hear of it, not wait forever
            {
                LogWriteFailed(_logger, e, _journalPath);
                TruncateTo(start);
                foreach (var write in batch)
                {
                    if (write.Durable is not null) Withdraw(write.Entries, e, write.Durable);
                }
                continue;
            }
            foreach (var write in batch) write.Durable?.SetResult();
            var length = _journal.Position; // appended to its end: its length, without asking the file system each batch
            if (length > CompactAboveBytes && length > 2 * _compactedLength) RewriteJournal();
        }
    }

    /// <summary>A failed write may have left half a record: cut it off so the next record starts on a line of its own.</summary>
    private void TruncateTo(long length)
    {
        try
        {
            _journal.SetLength(length);
            _journal.Position = length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(_logger, e, _journalPath);
        }
    }

    private void RewriteJournal()
    {
        try
        {
            var compacted = Compact();
            _journal.Dispose();
            _journal = compacted;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(_logger, e, _journalPath); // the journal as it is stays valid; it is only longer
        }
    }

    /// <summary>
    /// Writes what is still needed (waiting alerts, remembered handled ones) to a new journal, flushes it and renames it
    /// over the old one, which stays whole until then; returns the new one, open for appending. The next flush of the
    /// journal commits the rename with it on a journaling file system (ext4, xfs).
    /// </summary>
    private FileStream Compact()
    {
        var temporary = _journalPath + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
        {
            foreach (var entry in _pending.Values.OrderBy(e => e.ReceivedAt)) AppendRecord(stream, new JournalRecord(StoredAlert.From(entry), null, null));
            foreach (var (key, at) in _handled) AppendRecord(stream, new JournalRecord(null, key, at));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, _journalPath, overwrite: true);
        var journal = new FileStream(_journalPath, FileMode.Open, FileAccess.Write, FileShare.Read, 64 * 1024);
        _compactedLength = journal.Seek(0, SeekOrigin.End);
        return journal;
    }

    /// <summary>Loads what a previous run left: handled alerts become duplicates, accepted and unhandled ones are queued again.</summary>
    private void Recover()
    {
        File.Delete(_journalPath + ".tmp"); // a rewrite that did not finish; the journal itself is whole
        if (!File.Exists(_journalPath)) return;
        var accepted = new List<InboxEntry>();
        var unreadable = new List<string>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(_journalPath))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            try
            {
                var record = JsonSerializer.Deserialize(line, InboxJsonContext.Default.JournalRecord) ?? throw new JsonException("null");
                if (record.Accepted is { } stored) accepted.Add(stored.ToEntry());
                else if (record.Handled is { } key && record.At is { } at) _handled[key] = at;
                else throw new JsonException("neither accepted nor handled");
            }
            catch (JsonException e)
            {
                unreadable.Add(line);
                LogUnreadable(_logger, e, _journalPath, lineNumber);
            }
        }
        if (unreadable.Count > 0)
        {
            // Kept for a human: a torn last line was never acknowledged, anything else is damage worth a look.
            var aside = Path.Combine(Path.GetDirectoryName(_journalPath)!, "unreadable", $"journal-{_time.GetUtcNow():yyyyMMddTHHmmssZ}.jsonl");
            Directory.CreateDirectory(Path.GetDirectoryName(aside)!);
            File.AppendAllLines(aside, unreadable);
        }
        foreach (var entry in accepted)
        {
            if (_handled.ContainsKey(entry.Key) || !_pending.TryAdd(entry.Key, entry)) continue;
            _known[entry.Key] = Task.CompletedTask;
            _waiting++;
            _ready.Writer.TryWrite(entry);
        }
        foreach (var key in _handled.Keys) _known[key] = Task.CompletedTask;
        Prune();
        if (_waiting > 0) LogRequeued(_logger, _waiting);
    }

    private static void AppendRecord(Stream stream, JournalRecord record)
    {
        JsonSerializer.Serialize(stream, record, InboxJsonContext.Default.JournalRecord);
        stream.WriteByte((byte)'\n');
    }

    /// <summary>Bytes for the journal, the alerts they accept and who waits for the flush (none for "handled").</summary>
    private sealed record JournalWrite(byte[] Bytes, List<InboxEntry> Entries, TaskCompletionSource? Durable);

    [LoggerMessage(EventId = EventIds.InboxRequeued, Level = LogLevel.Warning, Message = "{Count} alert(s) accepted before a restart and not yet handled are queued again")]
    private static partial void LogRequeued(ILogger logger, int count);

    [LoggerMessage(EventId = EventIds.InboxUnreadable, Level = LogLevel.Error, Message = "Line {Line} of the inbox journal {File} is unreadable; kept in inbox/unreadable for a human")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string file, int line);

    [LoggerMessage(EventId = EventIds.InboxWriteFailed, Level = LogLevel.Error, Message = "Could not write the inbox journal {File}; the alerts waiting for it are answered 503 and Alertmanager sends them again")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string file);
}

/// <summary>One line of the inbox journal: an alert accepted, or the key of one handled and when.</summary>
internal sealed record JournalRecord(StoredAlert? Accepted, string? Handled, DateTimeOffset? At);

/// <summary>The journal form of an <see cref="InboxEntry"/>.</summary>
internal sealed record StoredAlert(
    string Name, bool Firing, Dictionary<string, string> Labels, DateTimeOffset StartsAt, DateTimeOffset? EndsAt, string Fingerprint,
    string? GeneratorUrl, string GroupKey, DateTimeOffset ReceivedAt, string? TraceParent)
{
    public static StoredAlert From(InboxEntry e) => new(e.Alert.Name, e.Alert.Firing, new(e.Alert.Labels, StringComparer.Ordinal), e.Alert.StartsAt,
        e.Alert.EndsAt, e.Alert.Fingerprint, e.Alert.GeneratorUrl, e.Alert.GroupKey, e.ReceivedAt, e.TraceParent);

    public InboxEntry ToEntry() => new(new ReceivedAlert(Name, Firing, Labels, StartsAt, EndsAt,
        Fingerprint, GeneratorUrl, GroupKey), ReceivedAt, TraceParent);
}

[JsonSerializable(typeof(JournalRecord))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class InboxJsonContext : JsonSerializerContext;
