using System.Globalization;
using System.Text.RegularExpressions;

namespace DrSentinel.IntegrationTests.Infrastructure;

public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string this[string label] => Labels.GetValueOrDefault(label) ?? "";
}

/// <summary>Reads the Prometheus text exposition format, enough to assert on DrSentinel's series.</summary>
public static partial class MetricsText
{
    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$""")]
    private static partial Regex Line();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)",?""")]
    private static partial Regex Label();

    public static IReadOnlyList<Sample> Parse(string text) => text.Split('\n')
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => Line().Match(l))
        .Where(m => m.Success)
        .Select(m => new Sample(m.Groups["name"].Value,
            Label().Matches(m.Groups["labels"].Value).ToDictionary(x => x.Groups["key"].Value, x => Regex.Unescape(x.Groups["value"].Value)),
            double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))
        .ToList();

    public static IEnumerable<Sample> Named(this IReadOnlyList<Sample> samples, string name) => samples.Where(s => s.Name == name);

    /// <summary>The value of the one series of <paramref name="name"/> whose labels include all of <paramref name="labels"/>; null if none.</summary>
    public static double? Value(this IReadOnlyList<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Named(name).SingleOrDefault(s => labels.All(l => s[l.Key] == l.Value))?.Value;
}
