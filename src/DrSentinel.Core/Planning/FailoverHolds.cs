namespace DrSentinel.Planning;

/// <summary>
/// The database playbooks as pure functions: move a primary out of an impaired zone, after AWS had its chance where AWS
/// can see the failure, never back into it, never twice. The decision, in order: the resource is known and allowed; a
/// resolved alert never fails back; a failover DrSentinel started for this incident is not repeated; a primary already
/// out of the zone is AWS's doing; the zone must look impaired now (else the plan waits: the alert may be stale); the
/// candidate zone must not be impaired too (ambiguous: a human decides); a failover under way (the resource not
/// available) is waited out; AWS gets its grace period when its control plane sees the zone down; the resource must be
/// able to fail over now. docs/actions.md has the decision table, with AWS's documented triggers for its own failover.
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
        return AwsGrace(request) is { } remaining
            ? refuse(RefusalCodes.GracePeriod,
                $"giving AWS its chance to fail {what} over by itself: {AwsSees(request)}; {remaining.TotalSeconds:F0} s of the {policy.FailoverGrace.TotalSeconds:F0} s grace period left (Actions:FailoverGrace)")
                with { WaitsForZone = true, RecheckAfter = RecheckAfter(request, remaining) }
            : null;
    }

    /// <summary>
    /// When to decide again during the grace: at its end, or, where the alert came before the zone's kubelets' heartbeats
    /// were read, as soon as they are: a gray failure is then failed over at once.
    /// </summary>
    public static TimeSpan RecheckAfter(PlanRequest request, TimeSpan remaining) =>
        Inventory.ZoneImpairment.Assess(request.Snapshot, request.Route.Zone!).KubeletsNotReadYet && remaining > Inventory.ZoneKubelets.ReadEvery
            ? Inventory.ZoneKubelets.ReadEvery
            : remaining;

    /// <summary>
    /// What is left of AWS's grace period, only where AWS can see the failure: AWS fails a Multi-AZ instance or a
    /// replication group over by itself on the loss of its zone or host, which the cluster sees too — every kubelet there
    /// silent, then its nodes not Ready — or where that could not be read. A zone only unreachable — every probe into it
    /// failing while its kubelets heartbeat — is a failure AWS's control plane does not see, and waiting for it would only
    /// add the grace to the outage: null.
    /// </summary>
    public static TimeSpan? AwsGrace(PlanRequest request) => AwsSees(request) is null ? null : Grace(request);

    /// <summary>Why AWS can see the zone down (or may); null where it sees the zone healthy.</summary>
    public static string? AwsSees(PlanRequest request) => Inventory.ZoneImpairment.Assess(request.Snapshot, request.Route.Zone!).AwsSees;

    /// <summary>Whether DrSentinel's ledger shows it moved a primary out of <paramref name="zone"/> already (any database).</summary>
    public static bool FailedOverFrom(Inventory.InventorySnapshot snapshot, string zone) =>
        snapshot.DbInstances.Select(d => d.Tags).Concat(snapshot.ReplicationGroups.Select(g => g.Tags))
            .Any(tags => FailoverLedger.From(tags) is { } ledger && ledger.FromZone == zone);

    /// <summary>Why acting now is not racing AWS, in the plan's words.</summary>
    public static string WhyNow(PlanRequest request) => AwsSees(request) is not null
        ? "still there after the grace period"
        : $"still there, and AWS's control plane sees {request.Route.Zone} healthy (its kubelets heartbeat, its nodes are Ready): AWS will not fail it over, so no grace is given";

    /// <summary>What is left of the grace period, counted from the alert's start; null once it is over.</summary>
    public static TimeSpan? Grace(PlanRequest request)
    {
        var remaining = request.AlertStartsAt + request.Policy.FailoverGrace - request.Now;
        return remaining > TimeSpan.Zero ? remaining : null;
    }
}
