using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace DrSentinel.Drill;

/// <summary>One objective: what was measured against what was promised; <see cref="Target"/> empty for a figure that is only reported.</summary>
public sealed record DrillObjective(string Name, string Measured, string Target, bool Met);

/// <summary>
/// One database's writes: RTO from the zone's loss to the first write acknowledged after the last that failed (0 when
/// none failed; null when none succeeded again before the zone recovered), RPO as the acknowledged writes the database
/// no longer holds and the span of time they were written in.
/// </summary>
public sealed record DrillDatabaseResult(string Database, string Engine, double? RtoSeconds, int Attempted, int Acknowledged, int Lost, double LostSpanSeconds, bool ReadBack);

/// <summary>A drill's outcome, as written to its JSON file; times in wall-clock seconds after the zone was failed.</summary>
public sealed record DrillResult(
    string Scenario, IReadOnlyList<string> Zones, double Speed, string Alerting, string DataPlane, DateTimeOffset FailedAt, DateTimeOffset? RecoveredAt,
    string? Incident, double? DetectionSeconds, double? AlertReceivedSeconds, double? FirstActionSeconds, double? CapacityRestoredSeconds,
    double? PutBackSeconds, int ActionsTaken, IReadOnlyList<DrillDatabaseResult> Databases, IReadOnlyList<DrillObjective> Objectives)
{
    /// <summary>The readiness verdict before the zone was lost (ready, not-ready, could-not-check) and each check not ready, with why.</summary>
    public string? ReadinessBefore { get; init; }

    public IReadOnlyList<string> NotReadyBefore { get; init; } = [];

    public IReadOnlyList<string> Missed => [.. Objectives.Where(o => !o.Met).Select(o => $"{o.Name}: {o.Measured} (objective {o.Target})")];

    /// <summary>The terminal's table.</summary>
    public string Table()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"drill {Scenario}: {string.Join(" and ", Zones)} lost at {FailedAt.UtcDateTime:HH:mm:ss} UTC, region speed x{Speed}\n");
        text.Append(CultureInfo.InvariantCulture, $"alerts: {Alerting}\ndata: {DataPlane}\n");
        if (Incident is not null) text.Append(CultureInfo.InvariantCulture, $"incident: {Incident} (incident-{Incident}.md beside the JSON)\n");
        if (ReadinessBefore is not null)
            text.Append(CultureInfo.InvariantCulture, $"readiness before the loss: {ReadinessBefore}{string.Concat(NotReadyBefore.Select(n => $"\n  {n}"))}\n");
        var width = Math.Max(10, Objectives.Max(o => o.Name.Length));
        text.Append('\n').Append("objective".PadRight(width)).Append("  measured            target      \n");
        foreach (var o in Objectives)
            text.Append(o.Name.PadRight(width)).Append("  ").Append(o.Measured.PadRight(18)).Append("  ").Append((o.Target.Length == 0 ? "-" : o.Target).PadRight(10))
                .Append(o.Target.Length == 0 ? "" : o.Met ? "  met" : "  MISSED").Append('\n');
        return text.ToString();
    }

    public static string Seconds(double? seconds) => seconds is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s:F1} s") : "never";
}

[JsonSerializable(typeof(DrillResult))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
internal sealed partial class DrillJsonContext : JsonSerializerContext;
