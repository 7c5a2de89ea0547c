namespace DrSentinel.Leadership;

/// <summary>The Lease annotations through which the replicas share what must not be per pod.</summary>
public static class SharedKeys
{
    /// <summary>Present while an operator has the kill switch engaged: who and when.</summary>
    public const string KillSwitch = "drsentinel.io/kill-switch";

    /// <summary>The mutating steps of the last day (JSON lines), for the cooldowns and the hourly cap of whichever replica leads.</summary>
    public const string Actions = "drsentinel.io/actions";

    /// <summary>Changed by a replica that accepted a new alert: the leader reconciles with Alertmanager at once.</summary>
    public const string ReconcileRequested = "drsentinel.io/reconcile-requested";
}
