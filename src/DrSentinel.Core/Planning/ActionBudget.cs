using System.Collections.Immutable;

namespace DrSentinel.Planning;

/// <summary>One mutating step that changed something, for the cooldown and the hourly cap.</summary>
/// <summary>
/// One mutating step that changed something, for the cooldown and the hourly cap. <see cref="Episode"/> names the alert
/// it answered (fingerprint and start): the steps of one evacuation, even replayed after a restart, never hold each other.
/// </summary>
public sealed record ActionRecord(DateTimeOffset At, PlanIntent Intent, string Resource, string Action, string Episode);

/// <summary>
/// The rate guardrails, as a pure check: at most <see cref="MaxPerHour"/> mutating steps in any hour, and no evacuation
/// step on a resource DrSentinel evacuated within <see cref="Cooldown"/> (a zone that comes and goes must not make it
/// thrash; the flapping alert pages a human). Undoing is not held by the cooldown, only by the cap.
/// </summary>
public sealed record ActionBudget(TimeSpan Cooldown, int MaxPerHour)
{
    public string? Refusal(PlanStep step, PlanIntent intent, string episode, IReadOnlyCollection<ActionRecord> history, DateTimeOffset now)
    {
        var lastHour = history.Count(r => r.At > now - TimeSpan.FromHours(1));
        if (lastHour >= MaxPerHour) return $"{lastHour} mutating actions in the last hour, the cap is {MaxPerHour} (Actions:MaxActionsPerHour)";
        if (intent != PlanIntent.Evacuate) return null;
        var recent = history.Where(r => r.Intent == PlanIntent.Evacuate && r.Resource == step.Resource && r.Episode != episode && r.At > now - Cooldown)
            .OrderByDescending(r => r.At).FirstOrDefault();
        return recent is null ? null
            : $"{step.Resource} was changed for an evacuation {(now - recent.At).TotalMinutes:F1} min ago, cooldown {Cooldown.TotalMinutes:F0} min (Actions:Cooldown)";
    }

    /// <summary>The records still relevant at <paramref name="now"/>; older ones can be forgotten.</summary>
    public ImmutableArray<ActionRecord> Trim(IEnumerable<ActionRecord> history, DateTimeOffset now)
    {
        var keep = TimeSpan.FromTicks(Math.Max(Cooldown.Ticks, TimeSpan.FromHours(1).Ticks));
        return [.. history.Where(r => r.At > now - keep)];
    }
}
