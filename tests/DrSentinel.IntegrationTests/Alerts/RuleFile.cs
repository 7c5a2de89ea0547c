using System.Text.RegularExpressions;
using DrSentinel.IntegrationTests.Infrastructure;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace DrSentinel.IntegrationTests.Alerts;

/// <summary>alerts/drsentinel.rules.yml, read with YamlDotNet.</summary>
public sealed partial class RuleFile
{
    public static string Path => System.IO.Path.Combine(RepoPaths.Root, "alerts", "drsentinel.rules.yml");

    public List<RuleGroup> Groups { get; set; } = [];

    public IEnumerable<Rule> Alerts => Groups.SelectMany(g => g.Rules).Where(r => r.Alert is not null);

    public static RuleFile Load() => new DeserializerBuilder().WithNamingConvention(LowerCaseNamingConvention.Instance).Build()
        .Deserialize<RuleFile>(File.ReadAllText(Path));

    [GeneratedRegex(@"\b(drsentinel_[a-z0-9_]+)\b")]
    private static partial Regex MetricName();

    /// <summary>Every drsentinel_ metric an expression or text names.</summary>
    public static IEnumerable<string> MetricsIn(string text) => MetricName().Matches(text).Select(m => m.Groups[1].Value).Distinct();
}

public sealed class RuleGroup
{
    public string Name { get; set; } = "";
    public List<Rule> Rules { get; set; } = [];
}

public sealed class Rule
{
    public string? Alert { get; set; }
    public string? Record { get; set; }
    public string Expr { get; set; } = "";
    public string? For { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    public Dictionary<string, string> Annotations { get; set; } = [];
}
