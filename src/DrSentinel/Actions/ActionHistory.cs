using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DrSentinel.Alerting;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

/// <summary>
/// The mutating steps of the last hours, for the cooldown and the hourly cap; appended to a file in the state directory
/// so a restart does not reset the guardrails. (What was changed lives on the resources; this is only the rate.)
/// </summary>
public sealed partial class ActionHistory
{
    private readonly object _gate = new();
    private readonly string _path;
    private readonly ActionBudget _budget;
    private readonly TimeProvider _time;
    private List<ActionRecord> _records;

    public ActionHistory(IOptions<ReceiverOptions> receiver, IOptions<ActionOptions> actions, TimeProvider time, ILogger<ActionHistory> logger)
    {
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

    public IReadOnlyCollection<ActionRecord> Snapshot()
    {
        lock (_gate) return [.. _records];
    }

    public void Add(ActionRecord record)
    {
        lock (_gate)
        {
            _records = [.. _budget.Trim(_records.Append(record), _time.GetUtcNow())];
            // Rewritten whole: a few dozen lines at most, and never a torn line to skip on the next start.
            var temporary = _path + ".tmp";
            File.WriteAllText(temporary, string.Join('\n', _records.Select(r => JsonSerializer.Serialize(r, HistoryJsonContext.Default.ActionRecord))) + "\n", Encoding.UTF8);
            File.Move(temporary, _path, overwrite: true);
        }
    }

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
