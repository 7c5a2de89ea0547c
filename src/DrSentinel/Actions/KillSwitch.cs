using DrSentinel.Alerting;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

/// <summary>
/// Stops every mutating call. Engaged by configuration (Actions:KillSwitch) or at runtime through its endpoint; the
/// runtime state is a file in the state directory, so it holds across restarts until released the same way.
/// </summary>
public sealed class KillSwitch(IOptions<ActionOptions> actions, IOptions<ReceiverOptions> receiver)
{
    private readonly string _path = Path.Combine(receiver.Value.StateDirectory, "kill-switch");

    public bool EngagedByConfiguration => actions.Value.KillSwitch;

    public bool EngagedAtRuntime => File.Exists(_path);

    public bool Engaged => EngagedByConfiguration || EngagedAtRuntime;

    public void Set(bool engaged, string by)
    {
        if (engaged) File.WriteAllText(_path, by);
        else File.Delete(_path);
    }
}
