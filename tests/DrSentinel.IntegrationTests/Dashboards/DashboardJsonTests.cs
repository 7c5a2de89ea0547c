using System.Text.Json;
using System.Text.RegularExpressions;
using DrSentinel.IntegrationTests.Alerts;
using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Dashboards;

/// <summary>The dashboards against the dashboard-linter and kube-prometheus-stack conventions.</summary>
public sealed class DashboardJsonTests
{
    private static readonly string[] ExpectedUids = ["drsentinel-az-overview", "drsentinel-dr-status", "drsentinel-self-health"];

    [Fact]
    public void Dashboards_HaveTheirStableUids() =>
        Assert.Equal(ExpectedUids, DashboardFile.All.Select(d => d.Root.GetProperty("uid").GetString()).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(DashboardFile.Names), MemberType = typeof(DashboardFile))]
    public void Dashboard_HasSchemaTagsAndExactlyOneDatasourceVariable(string name)
    {
        var dashboard = DashboardFile.Named(name);

        Assert.Equal(39, dashboard.Root.GetProperty("schemaVersion").GetInt32());
        Assert.Contains("drsentinel", dashboard.Root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var datasource = Assert.Single(dashboard.Variables, v => v.GetProperty("type").GetString() == "datasource");
        Assert.Equal(("datasource", "prometheus"), (datasource.GetProperty("name").GetString(), datasource.GetProperty("query").GetString()));
        Assert.Contains(dashboard.Variables, v => v.GetProperty("name").GetString() == "cluster");
    }

    [Theory]
    [MemberData(nameof(DashboardFile.Names), MemberType = typeof(DashboardFile))]
    public void Panels_HaveUniqueIdsAndDoNotOverlap(string name)
    {
        var panels = DashboardFile.Named(name).Panels.ToList();

        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        var boxes = panels.Select(p => p.GetProperty("gridPos")).Select(g => (X: g.GetProperty("x").GetInt32(), Y: g.GetProperty("y").GetInt32(),
            W: g.GetProperty("w").GetInt32(), H: g.GetProperty("h").GetInt32())).ToList();
        Assert.All(boxes, b => Assert.True(b.X >= 0 && b.W > 0 && b.X + b.W <= 24 && b.H > 0, $"panel outside the 24-column grid: {b}"));
        for (var i = 0; i < boxes.Count; i++)
            for (var j = i + 1; j < boxes.Count; j++)
            {
                var (a, b) = (boxes[i], boxes[j]);
                var overlap = a.X < b.X + b.W && b.X < a.X + a.W && a.Y < b.Y + b.H && b.Y < a.Y + a.H;
                Assert.False(overlap, $"{name}: panels {i} and {j} overlap: {a} and {b}");
            }
    }

    [Theory]
    [MemberData(nameof(DashboardFile.Names), MemberType = typeof(DashboardFile))]
    public void EveryPanelAndTarget_UsesTheDatasourceVariable_AndHasTitleDescriptionAndUnit(string name)
    {
        Assert.All(DashboardFile.Named(name).Panels, panel =>
        {
            var title = panel.GetProperty("title").GetString();
            Assert.False(string.IsNullOrWhiteSpace(title));
            Assert.False(string.IsNullOrWhiteSpace(panel.GetProperty("description").GetString()), $"{title} has no description");
            Assert.False(string.IsNullOrWhiteSpace(panel.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("unit").GetString()), $"{title} has no unit");
            AssertDatasource(panel.GetProperty("datasource"), title!);
            Assert.All(panel.GetProperty("targets").EnumerateArray(), t => AssertDatasource(t.GetProperty("datasource"), title!));
        });
    }

    [Theory]
    [MemberData(nameof(DashboardFile.Names), MemberType = typeof(DashboardFile))]
    public void RateQueries_UseRateInterval(string name) =>
        Assert.All(DashboardFile.Named(name).Queries.Where(q => q.Expr.Contains("rate(", StringComparison.Ordinal)),
            q => Assert.DoesNotMatch(new Regex(@"rate\([^\[]*\[(?!\$__rate_interval\])"), q.Expr));

    [Fact]
    public void EveryMetricTheDashboardsShow_IsDocumentedInMetricsMd()
    {
        var documented = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "metrics.md"));

        var undocumented = DashboardFile.All.SelectMany(d => d.Queries).SelectMany(q => RuleFile.MetricsIn(q.Expr)).Distinct()
            .Where(metric => !documented.Contains($"`{metric.Replace("_bucket", "", StringComparison.Ordinal)}`", StringComparison.Ordinal)).ToList();

        Assert.True(undocumented.Count == 0, "metrics the dashboards show but docs/metrics.md does not document: " + string.Join(", ", undocumented));
    }

    private static void AssertDatasource(JsonElement datasource, string panel)
    {
        Assert.True(datasource.GetProperty("type").GetString() == "prometheus" && datasource.GetProperty("uid").GetString() == "${datasource}",
            $"{panel}: datasource must be {{\"type\":\"prometheus\",\"uid\":\"${{datasource}}\"}}, not {datasource}");
    }
}
