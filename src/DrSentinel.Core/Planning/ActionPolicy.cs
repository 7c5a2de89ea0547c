using System.Collections.Immutable;

namespace DrSentinel.Planning;

/// <summary>What the planner may touch and when it must refuse.</summary>
public sealed record ActionPolicy
{
    /// <summary>Auto Scaling group names or EKS node group names DrSentinel may change; empty means none.</summary>
    public ImmutableHashSet<string> AllowedNodeGroups { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>Evacuate a second zone while one is evacuated.</summary>
    public bool AllowSecondZone { get; init; }

    /// <summary>Above this share of NotReady nodes in the whole cluster nothing is evacuated: the trouble is not one zone.</summary>
    public double HaltAboveUnreadyShare { get; init; } = 0.45;

    public bool Allows(ScalingGroupRef group) =>
        AllowedNodeGroups.Contains(group.Name) || (group.NodeGroup is { } nodeGroup && AllowedNodeGroups.Contains(nodeGroup));
}

/// <summary>How a group is named: its Auto Scaling name and, for an EKS managed node group, that name too.</summary>
public readonly record struct ScalingGroupRef(string Name, string? NodeGroup);
