using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DrSentinel.Alerting;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

/// <summary>
/// The mutating steps of the last hours, for the cooldown and the hourly cap; kept in a file in the state directory so a
/// restart does not reset the guardrails, and with leader election on also on the Lease, so a replica that takes over
/// judges its plans by what the one before it did. (What was changed lives on the resources; this is only the rate.)
/// </summary>
public sealed partial class ActionHistory
{
    private readonly object _gate = new();
    private readonly string _path;
    private readonly ActionBudget _budget;
    private readonly TimeProvider _time;
    private readonly Leadership.LeaseElector _leadership;
    private readonly ILogger<ActionHistory> _logger;
    private List<ActionRecord> _records;
    private SharedRecords _shared = new(null, []);

    /// <summary>The Lease's records as parsed, with the annotation they came from.</summary>
    private sealed record SharedRecords(string? Text, ActionRecord[] Records);

    public ActionHistory(IOptions<ReceiverOptions> receiver, IOptions<ActionOptions> actions, Leadership.LeaseElector leadership, TimeProvider time,
        ILogger<ActionHistory> logger)
    {
        _leadership = leadership;
        _logger = logger;
        _path = Path.Combine(receiver.Value.StateDirectory, "actions.jsonl");
        _budget = new ActionBudget(actions.Value.Cooldown, actions.Value.MaxActionsPerHour);
        _time = time;
        var lines = File.Exists(_path) ? File.ReadAllLines(_path).Where(l => l.Length > 0).ToList() : [];
        var read = lines.Select(Read).ToList();
        var unreadable = read.Count(r => r is null);
        // A line that cannot be read was an action: it counts against the hourly cap as if taken now, never for nothing.
        var now = time.GetUtcNow();
        _records = [.. _budget.Trim(read.Select(r => r ?? new ActionRecord(now, PlanIntent.Restore, "unreadable", "unreadable", "unreadable")), now)];
        if (unreadable > 0) LogUnreadable(logger, unreadable, _path);
    }

    [LoggerMessage(EventId = EventIds.HistoryUnreadable, Level = LogLevel.Warning,
        Message = "{Count} line(s) of {Path} cannot be read; each counts against the hourly cap as an action taken now")]
    private static partial void LogUnreadable(ILogger logger, int count, string path);

    public ActionBudget Budget => _budget;

    /// <summary>This replica's records and the ones shared on the Lease, each once.</summary>
    public IReadOnlyCollection<ActionRecord> Snapshot()
    {
        var shared = Shared();
        lock (_gate) return shared.Length == 0 ? [.. _records] : [.. _budget.Trim(_records.Union(shared), _time.GetUtcNow())];
    }

    /// <summary>
    /// Records a step taken: on disk at once, then on the Lease. Should the Lease not take it, the step still counts here,
    /// and the next record written carries it along.
    /// </summary>
    public async Task AddAsync(ActionRecord record, CancellationToken cancel)
    {
        var all = Snapshot().Append(record);
        string text;
        lock (_gate)
        {
            _records = [.. _budget.Trim(_records.Append(record), _time.GetUtcNow())];
            // Rewritten whole: a few dozen lines at most, and never a torn line to skip on the next start.
            var temporary = _path + ".tmp";
            File.WriteAllText(temporary, Lines(_records), Encoding.UTF8);
            File.Move(temporary, _path, overwrite: true);
            text = Lines(_budget.Trim(all, _time.GetUtcNow()));
        }
        if (!_leadership.Enabled) return;
        try
        {
            await _leadership.AnnotateAsync(Leadership.SharedKeys.Actions, text, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or IOException)
        {
            LogNotShared(_logger, e);
        }
    }

    private static string Lines(IEnumerable<ActionRecord> records) =>
        string.Join('\n', records.Select(r => JsonSerializer.Serialize(r, HistoryJsonContext.Default.ActionRecord))) + "\n";

    /// <summary>The records on the Lease, parsed once per change; an unreadable line counts as an action taken now.</summary>
    private ActionRecord[] Shared()
    {
        var text = _leadership.Enabled ? _leadership.Annotations.GetValueOrDefault(Leadership.SharedKeys.Actions) : null;
        var cached = Volatile.Read(ref _shared);
        if (ReferenceEquals(cached.Text, text)) return cached.Records;
        var now = _time.GetUtcNow();
        var records = text is null ? [] : text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => Read(line) ?? new ActionRecord(now, PlanIntent.Restore, "unreadable", "unreadable", "unreadable")).ToArray();
        Volatile.Write(ref _shared, new SharedRecords(text, records));
        return records;
    }

    [LoggerMessage(EventId = EventIds.SharedHistoryNotWritten, Level = LogLevel.Warning,
        Message = "The step taken could not be recorded on the Lease; it counts here, and the next step's record carries it to the other replicas")]
    private static partial void LogNotShared(ILogger logger, Exception exception);

    private static ActionRecord? Read(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, HistoryJsonContext.Default.ActionRecord);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSerializable(typeof(ActionRecord))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
internal sealed partial class HistoryJsonContext : JsonSerializerContext;
