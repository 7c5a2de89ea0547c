using System.Collections.Immutable;

namespace DrSentinel.Planning;

/// <summary>
/// One mutating step that changed something, for the cooldown and the hourly cap. <see cref="Episode"/> names the alert
/// it answered (fingerprint and start): the steps of one evacuation, even replayed after a restart, never hold each other.
/// <see cref="Subject"/> is what the playbook acted for (the zone of an evacuation); records written before it existed
/// have none.
/// </summary>
public sealed record ActionRecord(DateTimeOffset At, PlanIntent Intent, string Resource, string Action, string Episode)
{
    public string? Subject { get; init; }

    /// <summary>A step of a follow-up of an evacuation in effect (capacity moved, a shift extended), not of an evacuation.</summary>
    public bool FollowUp { get; init; }
}

/// <summary>
/// The rate guardrails, judged on a whole plan before its first step, so a plan runs whole or not at all: at most
/// <see cref="MaxPerHour"/> mutating steps in any hour (the plan's own steps counted in), and no second evacuation of a
/// zone within <see cref="Cooldown"/> of the last one for another alert (a zone that comes and goes must not make
/// DrSentinel thrash; the flapping alert pages a human). The cooldown is the zone's: a group that another zone's
/// incident changed a minute ago is no reason to leave this zone half evacuated. Undoing is held only by the cap.
/// </summary>
public sealed record ActionBudget(TimeSpan Cooldown, int MaxPerHour)
{
    /// <summary>The action of an ElastiCache TestFailover, which AWS counts against a daily quota: its records are kept a day.</summary>
    public const string TestFailoverAction = "elasticache-test-failover";

    /// <summary>
    /// Why <paramref name="plan"/> may not run, or null. <paramref name="stepsInFlight"/>: the steps of plans being carried
    /// out elsewhere now, counted against the cap as if done (conservative: a step done meanwhile counts twice until they end).
    /// </summary>
    public PlanRefusal? Refusal(Plan plan, string episode, IReadOnlyCollection<ActionRecord> history, DateTimeOffset now, int stepsInFlight = 0)
    {
        var lastHour = history.Count(r => r.At > now - TimeSpan.FromHours(1)) + stepsInFlight;
        if (lastHour + plan.Steps.Length > MaxPerHour)
            return new(RefusalCodes.HourlyCap,
                $"{lastHour} mutating actions in the last hour and this plan's {plan.Steps.Length} would pass the cap of {MaxPerHour} (Actions:MaxActionsPerHour); nothing of it is done");
        if (plan.Intent != PlanIntent.Evacuate || plan.FollowsUp) return null;
        var resources = plan.Steps.Select(s => s.Resource).ToHashSet(StringComparer.Ordinal);
        var recent = history
            .Where(r => r.Intent == PlanIntent.Evacuate && !r.FollowUp && r.Episode != episode && r.At > now - Cooldown
                        && (r.Subject is null ? resources.Contains(r.Resource) : r.Subject == plan.Zone))
            .OrderByDescending(r => r.At).FirstOrDefault();
        return recent is null ? null
            : new(RefusalCodes.Cooldown,
                $"{plan.Zone} was evacuated for another alert {(now - recent.At).TotalMinutes:F1} min ago, cooldown {Cooldown.TotalMinutes:F0} min (Actions:Cooldown); nothing of this plan is done");
    }

    /// <summary>The records still relevant at <paramref name="now"/>; older ones can be forgotten. TestFailover calls count for a day.</summary>
    public ImmutableArray<ActionRecord> Trim(IEnumerable<ActionRecord> history, DateTimeOffset now)
    {
        var keep = TimeSpan.FromTicks(Math.Max(Cooldown.Ticks, TimeSpan.FromHours(1).Ticks));
        return [.. history.Where(r => r.At > now - (r.Action == TestFailoverAction ? TimeSpan.FromDays(1) : keep))];
    }

    /// <summary>The TestFailover calls made in the rolling 24 hours before <paramref name="now"/>, as AWS counts its quota.</summary>
    public static int TestFailoversLast24Hours(IEnumerable<ActionRecord> history, DateTimeOffset now) =>
        history.Count(r => r.Action == TestFailoverAction && r.At > now - TimeSpan.FromDays(1));
}
