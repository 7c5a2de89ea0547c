using DrSentinel.Alerting;

namespace DrSentinel.Actions;

/// <summary>
/// What one lane remembers of the alerts it waits on. A plan refused only because of how things look now (the zone, a
/// grace period) waits and is made again later, until it acts, or the opposite alert of its kind (the resolution of a
/// firing one, a new firing of a resolved one) has been handled since the wait began, or a newer alert of its kind
/// waits instead. A wait is said in the log when it begins and again only when its reason changes. Only its lane's
/// worker touches it.
/// </summary>
public sealed class WaitingAlerts(TimeProvider time, Planning.PlaybookTable playbooks)
{
    private readonly Dictionary<string, DateTimeOffset> _since = new(StringComparer.Ordinal); // key -> when its wait began
    private readonly Dictionary<string, DateTimeOffset> _lastHandled = new(StringComparer.Ordinal); // kind -> when
    private readonly Dictionary<string, string> _newest = new(StringComparer.Ordinal); // kind -> key: one look per kind
    private readonly Dictionary<string, string> _because = new(StringComparer.Ordinal); // key -> the reason code last said

    /// <summary>
    /// The key of an alert's kind: its name, zone, resource (by the label its playbook names it with) and status; the
    /// opposite status ends a wait.
    /// </summary>
    public string Kind(ReceivedAlert alert, bool firing) =>
        $"{alert.Name}|{alert.Labels.GetValueOrDefault("az")}|{(playbooks.ResourceLabelOf(alert.Name) is { } label ? alert.Labels.GetValueOrDefault(label) : null)}|{firing}";

    public bool IsWaiting(InboxEntry entry) => _since.ContainsKey(entry.Key);

    /// <summary>A waiting alert is over once the opposite alert was handled since, or a newer one of its kind waits instead.</summary>
    public bool Superseded(InboxEntry entry) =>
        _since.TryGetValue(entry.Key, out var since)
        && ((_lastHandled.TryGetValue(Kind(entry.Alert, !entry.Alert.Firing), out var opposite) && opposite >= since)
            || (_newest.TryGetValue(Kind(entry.Alert, entry.Alert.Firing), out var newest) && newest != entry.Key));

    /// <summary>The alert waits (from now, unless it already did): the newest of its kind.</summary>
    public void Wait(InboxEntry entry)
    {
        _since.TryAdd(entry.Key, time.GetUtcNow());
        _newest[Kind(entry.Alert, entry.Alert.Firing)] = entry.Key;
    }

    /// <summary>True when a recheck waits for the same reason as last said (say nothing); records the reason otherwise.</summary>
    public bool SameReason(InboxEntry entry, string reasonCode, bool rechecking)
    {
        if (rechecking && _because.GetValueOrDefault(entry.Key) == reasonCode) return true;
        _because[entry.Key] = reasonCode;
        return false;
    }

    /// <summary>The alert is done with: it waits no more, and its kind was handled now.</summary>
    public void Finish(InboxEntry entry)
    {
        _since.Remove(entry.Key);
        _because.Remove(entry.Key);
        var kind = Kind(entry.Alert, entry.Alert.Firing);
        if (_newest.TryGetValue(kind, out var newest) && newest == entry.Key) _newest.Remove(kind);
        _lastHandled[kind] = time.GetUtcNow();
    }
}
