using System.Collections.Immutable;
using System.Globalization;
using DrSentinel.Planning;

namespace DrSentinel.Playbooks.Capacity;

/// <summary>
/// The settings of an Auto Scaling group an evacuation changes: MinSize, DesiredCapacity, its subnets and its suspended
/// processes. Written to a group tag as <c>min=1;desired=3;subnets=subnet-a,subnet-b;suspended=AZRebalance</c>
/// (well under the 256 characters a tag value may hold for any realistic group).
/// </summary>
public sealed record GroupSettings(int MinSize, int DesiredCapacity, ImmutableArray<string> Subnets, ImmutableArray<string> Suspended)
{
    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"min={MinSize};desired={DesiredCapacity};subnets={string.Join(',', Subnets)};suspended={string.Join(',', Suspended)}");

    /// <summary>Reads a tag value written by <see cref="Format"/>; null for anything else (a tag edited by hand is not trusted).</summary>
    public static GroupSettings? Parse(string? value)
    {
        if (value is null) return null;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in value.Split(';'))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !fields.TryAdd(part[..equals], part[(equals + 1)..])) return null;
        }
        if (fields.Count != 4
            || !fields.TryGetValue("min", out var min) || !int.TryParse(min, NumberStyles.None, CultureInfo.InvariantCulture, out var minSize)
            || !fields.TryGetValue("desired", out var desired) || !int.TryParse(desired, NumberStyles.None, CultureInfo.InvariantCulture, out var desiredCapacity)
            || !fields.TryGetValue("subnets", out var subnets) || !fields.TryGetValue("suspended", out var suspended))
            return null;
        return new GroupSettings(minSize, desiredCapacity, List(subnets), List(suspended));
    }

    private static ImmutableArray<string> List(string value) => [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries)];

    public bool SameAs(GroupSettings other) =>
        MinSize == other.MinSize && DesiredCapacity == other.DesiredCapacity
        && SameSet(Subnets, other.Subnets) && SameSet(Suspended, other.Suspended);

    /// <summary>Whether two lists hold the same values in any order (AWS does not keep the order of subnets).</summary>
    internal static bool SameSet(ImmutableArray<string> a, ImmutableArray<string> b) =>
        a.Order(StringComparer.Ordinal).SequenceEqual(b.Order(StringComparer.Ordinal));
}
