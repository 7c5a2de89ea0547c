using System.Text.Json;
using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Dashboards;

/// <summary>One Grafana dashboard in dashboards/, with its panels and their queries.</summary>
public sealed record DashboardFile(string Name, JsonElement Root)
{
    public static IReadOnlyList<DashboardFile> All { get; } = Directory.GetFiles(Path.Combine(RepoPaths.Root, "dashboards"), "*.json")
        .Order(StringComparer.Ordinal)
        .Select(f => new DashboardFile(Path.GetFileName(f), JsonDocument.Parse(File.ReadAllText(f)).RootElement.Clone()))
        .ToList();

    public static IEnumerable<object[]> Names => All.Select(d => new object[] { d.Name });

    public static DashboardFile Named(string name) => All.Single(d => d.Name == name);

    public IEnumerable<JsonElement> Panels => Root.GetProperty("panels").EnumerateArray();

    public IEnumerable<(string Panel, string Expr)> Queries => Panels.SelectMany(p =>
        p.GetProperty("targets").EnumerateArray().Select(t => (p.GetProperty("title").GetString()!, t.GetProperty("expr").GetString()!)));

    public IEnumerable<JsonElement> Variables => Root.GetProperty("templating").GetProperty("list").EnumerateArray();

    /// <summary>A panel query as Grafana would send it with every variable at "All".</summary>
    public static string Resolve(string expr) => expr
        .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
        .Replace("\"$cluster\"", "\".*\"", StringComparison.Ordinal)
        .Replace("\"$az\"", "\".*\"", StringComparison.Ordinal);
}
