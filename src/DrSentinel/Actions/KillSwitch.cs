using DrSentinel.Alerting;
using DrSentinel.Leadership;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

/// <summary>
/// Stops every mutating call. Engaged by configuration (Actions:KillSwitch) or at runtime through its endpoint. With
/// leader election on, the runtime state is an annotation on the Lease: engaged through any replica, it stops whichever
/// leads, now or after a takeover, and holds until released the same way. A single replica keeps it in a file in its
/// state directory, so it holds across restarts.
/// </summary>
public sealed class KillSwitch(IOptions<ActionOptions> actions, IOptions<ReceiverOptions> receiver, LeaseElector leadership)
{
    private readonly string _path = Path.Combine(receiver.Value.StateDirectory, "kill-switch");

    public bool EngagedByConfiguration => actions.Value.KillSwitch;

    public bool EngagedAtRuntime => leadership.Enabled ? leadership.Annotations.ContainsKey(SharedKeys.KillSwitch) : File.Exists(_path);

    public bool Engaged => EngagedByConfiguration || EngagedAtRuntime;

    /// <summary>Returns once the new state is where every replica reads it (the Lease) or on disk.</summary>
    public async Task SetAsync(bool engaged, string by, CancellationToken cancel)
    {
        if (leadership.Enabled)
        {
            await leadership.AnnotateAsync(SharedKeys.KillSwitch, engaged ? by : null, cancel).ConfigureAwait(false);
            return;
        }
        if (engaged) await File.WriteAllTextAsync(_path, by, cancel).ConfigureAwait(false);
        else File.Delete(_path);
    }
}
