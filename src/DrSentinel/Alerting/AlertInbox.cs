using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace DrSentinel.Alerting;

/// <summary>An accepted alert waiting to be acted on, with the trace context of the request that brought it.</summary>
public sealed record InboxEntry(ReceivedAlert Alert, DateTimeOffset ReceivedAt, string? TraceParent)
{
    public string Hash { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Alert.DedupKey)));
}

public enum AcceptOutcome { Accepted, Duplicate }

public sealed class InboxFullException(int capacity) : Exception($"{capacity} alerts are waiting to be acted on (Receiver:QueueCapacity)");

/// <summary>
/// The durable, deduplicating queue between the webhook and the engine. An alert is accepted once its file is on disk
/// (written, flushed to the device, renamed into place); only then does the webhook answer 202. Every delivery of the
/// same alert (same fingerprint, start and status) after the first is a duplicate, answered once the first is durable.
/// A handled alert leaves a marker for <see cref="ReceiverOptions.DuplicateMemory"/>, so a restart does not act twice;
/// an alert accepted but not handled is handled after a restart.
/// </summary>
public sealed partial class AlertInbox
{
    private readonly ConcurrentDictionary<string, Task> _known = new(StringComparer.Ordinal);
    private readonly Channel<InboxEntry> _ready = Channel.CreateUnbounded<InboxEntry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ReceiverOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AlertInbox> _logger;
    private readonly string _pendingDirectory;
    private readonly string _doneDirectory;
    private int _waiting;

    public AlertInbox(IOptions<ReceiverOptions> options, TimeProvider time, ILogger<AlertInbox> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _pendingDirectory = Path.Combine(_options.StateDirectory, "inbox", "pending");
        _doneDirectory = Path.Combine(_options.StateDirectory, "inbox", "done");
        try
        {
            Directory.CreateDirectory(_pendingDirectory);
            Directory.CreateDirectory(_doneDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupConfigurationException($"Receiver:StateDirectory: cannot create {_pendingDirectory}: {e.Message}");
        }
        Recover();
    }

    /// <summary>Alerts accepted and not yet handled.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public ChannelReader<InboxEntry> Ready => _ready.Reader;

    public async Task<AcceptOutcome> AcceptAsync(ReceivedAlert alert, string? traceParent, CancellationToken cancel)
    {
        var entry = new InboxEntry(alert, _time.GetUtcNow(), traceParent);
        if (_known.TryGetValue(entry.Hash, out var earlier))
        {
            await earlier.WaitAsync(cancel).ConfigureAwait(false);
            return AcceptOutcome.Duplicate;
        }
        if (Waiting >= _options.QueueCapacity) throw new InboxFullException(_options.QueueCapacity);
        var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = _known.GetOrAdd(entry.Hash, durable.Task);
        if (first != durable.Task)
        {
            // Another delivery of the same alert is being written: answer when it is durable (or fail with it).
            await first.WaitAsync(cancel).ConfigureAwait(false);
            return AcceptOutcome.Duplicate;
        }
        Interlocked.Increment(ref _waiting);
        try
        {
            await WriteDurablyAsync(entry).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _known.TryRemove(entry.Hash, out _);
            Interlocked.Decrement(ref _waiting);
            durable.SetException(e);
            throw;
        }
        durable.SetResult();
        _ready.Writer.TryWrite(entry);
        return AcceptOutcome.Accepted;
    }

    /// <summary>Marks an alert handled: its marker first, then its pending file, so a crash in between still counts it handled.</summary>
    public void Complete(InboxEntry entry)
    {
        File.WriteAllBytes(Path.Combine(_doneDirectory, entry.Hash), []);
        File.Delete(PendingPath(entry.Hash));
        Interlocked.Decrement(ref _waiting);
    }

    /// <summary>Forgets handled alerts older than the duplicate memory.</summary>
    public int Prune()
    {
        var cutoff = _time.GetUtcNow() - _options.DuplicateMemory;
        var pruned = 0;
        foreach (var marker in new DirectoryInfo(_doneDirectory).EnumerateFiles())
        {
            if (marker.LastWriteTimeUtc >= cutoff.UtcDateTime) continue;
            marker.Delete();
            _known.TryRemove(marker.Name, out _);
            pruned++;
        }
        return pruned;
    }

    private string PendingPath(string hash) => Path.Combine(_pendingDirectory, hash + ".json");

    private async Task WriteDurablyAsync(InboxEntry entry)
    {
        var path = PendingPath(entry.Hash);
        var temporary = path + ".tmp";
        var stored = StoredAlert.From(entry);
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await JsonSerializer.SerializeAsync(stream, stored, InboxJsonContext.Default.StoredAlert).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Loads what a previous run left: handled markers become duplicates, pending alerts are queued again.</summary>
    private void Recover()
    {
        Prune();
        foreach (var marker in Directory.EnumerateFiles(_doneDirectory)) _known.TryAdd(Path.GetFileName(marker), Task.CompletedTask);
        foreach (var stray in Directory.EnumerateFiles(_pendingDirectory, "*.tmp")) File.Delete(stray); // never acknowledged
        var requeued = 0;
        foreach (var file in Directory.EnumerateFiles(_pendingDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            var hash = Path.GetFileNameWithoutExtension(file);
            if (_known.ContainsKey(hash))
            {
                File.Delete(file); // handled; the crash came between marker and delete
                continue;
            }
            InboxEntry entry;
            try
            {
                entry = (JsonSerializer.Deserialize(File.ReadAllBytes(file), InboxJsonContext.Default.StoredAlert)
                    ?? throw new JsonException("null")).ToEntry();
            }
            catch (JsonException e)
            {
                var rejected = Path.Combine(_options.StateDirectory, "inbox", "unreadable");
                Directory.CreateDirectory(rejected);
                File.Move(file, Path.Combine(rejected, Path.GetFileName(file)), overwrite: true);
                LogUnreadable(_logger, e, file, rejected);
                continue;
            }
            _known.TryAdd(hash, Task.CompletedTask);
            Interlocked.Increment(ref _waiting);
            _ready.Writer.TryWrite(entry);
            requeued++;
        }
        if (requeued > 0) LogRequeued(_logger, requeued);
    }

    [LoggerMessage(EventId = EventIds.InboxRequeued, Level = LogLevel.Warning, Message = "{Count} alert(s) accepted before a restart and not yet handled are queued again")]
    private static partial void LogRequeued(ILogger logger, int count);

    [LoggerMessage(EventId = EventIds.InboxUnreadable, Level = LogLevel.Error, Message = "Accepted alert file {File} is unreadable; moved to {Directory} for a human")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string file, string directory);
}

/// <summary>The file form of an <see cref="InboxEntry"/>.</summary>
internal sealed record StoredAlert(
    string Name, bool Firing, Dictionary<string, string> Labels, DateTimeOffset StartsAt, DateTimeOffset? EndsAt, string Fingerprint,
    string? GeneratorUrl, string GroupKey, DateTimeOffset ReceivedAt, string? TraceParent)
{
    public static StoredAlert From(InboxEntry e) => new(e.Alert.Name, e.Alert.Firing, new(e.Alert.Labels, StringComparer.Ordinal), e.Alert.StartsAt,
        e.Alert.EndsAt, e.Alert.Fingerprint, e.Alert.GeneratorUrl, e.Alert.GroupKey, e.ReceivedAt, e.TraceParent);

    public InboxEntry ToEntry() => new(new ReceivedAlert(Name, Firing, Labels.ToImmutableSortedDictionary(StringComparer.Ordinal), StartsAt, EndsAt,
        Fingerprint, GeneratorUrl, GroupKey), ReceivedAt, TraceParent);
}

[JsonSerializable(typeof(StoredAlert))]
internal sealed partial class InboxJsonContext : JsonSerializerContext;
