namespace DrSentinel.Planning;

/// <summary>
/// The database playbooks as pure functions: move a primary out of an impaired zone, after AWS had its chance, never
/// back into it, never twice. The decision, in order: the resource is known and allowed; a resolved alert never fails
/// back; a failover DrSentinel started for this incident is not repeated; a primary already out of the zone is AWS's
/// doing; the zone must look impaired now (else the plan waits: the alert may be stale); the candidate zone must not be
/// impaired too (ambiguous: a human decides); AWS gets its grace period; the resource must be able to fail over now.
/// </summary>
public static class FailoverHolds
{
    /// <summary>
    /// The RDS playbooks' last holds before acting: another alert's failover of <paramref name="what"/> within the cooldown
    /// (a human decides), then AWS's grace period (planned again when it ends); null when neither holds.
    /// </summary>
    public static Plan? CooldownOrGrace(PlanRequest request, FailoverLedger? ledger, string what, Func<string, string, Plan> refuse)
    {
        var policy = request.Policy;
        if (ledger is { } earlier && earlier.Episode != request.Episode && request.Now - earlier.At < policy.FailoverCooldown)
            return refuse(RefusalCodes.Cooldown,
                $"DrSentinel failed {what} over for another alert {(request.Now - earlier.At).TotalMinutes:F1} min ago (cooldown {policy.FailoverCooldown.TotalMinutes:F0} min): a human decides");
        return Grace(request) is { } remaining
            ? refuse(RefusalCodes.GracePeriod,
                $"giving AWS its chance to fail {what} over by itself: {remaining.TotalSeconds:F0} s of the {policy.FailoverGrace.TotalSeconds:F0} s grace period left (Actions:FailoverGrace)")
                with { WaitsForZone = true, RecheckAfter = remaining }
            : null;
    }

    /// <summary>What is left of AWS's grace period, counted from the alert's start; null once it is over.</summary>
    public static TimeSpan? Grace(PlanRequest request)
    {
        var remaining = request.AlertStartsAt + request.Policy.FailoverGrace - request.Now;
        return remaining > TimeSpan.Zero ? remaining : null;
    }
}
