using System.Collections.Immutable;
using DrSentinel.Inventory;

namespace DrSentinel.Readiness;

/// <summary>Ready; not ready (what breaks the path from alert to AWS call); or not checked (no evidence either way, never shown as ready).</summary>
public enum ReadinessVerdict { Ready, NotReady, CouldNotCheck }

/// <summary>One named check: its verdict, why, what to do about it, and what it looked at.</summary>
public sealed record ReadinessCheck(string Check, ReadinessVerdict Verdict, string Reason, string Remedy, ImmutableArray<string> Evidence)
{
    public static ReadinessCheck From(string check, IReadOnlyCollection<string> problems, IReadOnlyCollection<string> evidence, string ready, string remedy) =>
        problems.Count == 0
            ? new(check, ReadinessVerdict.Ready, ready, "", [.. evidence])
            : new(check, ReadinessVerdict.NotReady, string.Join("; ", problems), remedy, [.. evidence]);

    /// <summary>
    /// The allow-list and the IAM policy agree: each allowed resource carries drsentinel.io/allowed=true, without which
    /// docs/iam-policy.json refuses DrSentinel's calls on it. <paramref name="untagged"/>: the allowed ones that do not.
    /// </summary>
    public static ReadinessCheck AllowTag(string check, string what, IReadOnlyCollection<string> allowed, IReadOnlyCollection<string> untagged) =>
        From(check, [.. untagged.Select(r => $"{r} lacks the tag drsentinel.io/allowed=true: the IAM policy refuses DrSentinel's calls on it")],
            [$"{allowed.Count - untagged.Count} of {allowed.Count} allowed {what} tagged drsentinel.io/allowed=true"],
            $"every allowed {what} carries drsentinel.io/allowed=true, as the IAM policy requires",
            $"tag it drsentinel.io/allowed=true (a human's tag: DrSentinel never writes it), or take it off the allow-list");

    /// <summary>Could not check, when the inventory source that reads the resources has not answered; null when it has.</summary>
    public static ReadinessCheck? Unread(InventorySnapshot snapshot, string source, string check) =>
        snapshot.Sources.TryGetValue(source, out var status) && status.LastSuccess is not null ? null
            : new(check, ReadinessVerdict.CouldNotCheck, $"the {source} source has not answered yet{(snapshot.Sources.GetValueOrDefault(source)?.LastErrorType is { } error ? $" ({error})" : "")}",
                "see drsentinel_source_up and the log: DrSentinel cannot read these resources", []);
}
