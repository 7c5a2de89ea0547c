using DrSentinel.Planning;
using DrSentinel.Playbooks.CacheFailover;
using DrSentinel.Playbooks.Capacity;
using DrSentinel.Playbooks.RdsFailover;

namespace DrSentinel.Playbooks;

/// <summary>DrSentinel's own playbooks, one row each: adding a playbook is a folder beside these and a row here.</summary>
public static class BuiltInPlaybooks
{
    public static readonly PlaybookTable Table = new([new CapacityPlaybook(), new RdsFailoverPlaybook(), new CacheFailoverPlaybook()]);
}
