using DrSentinel.IntegrationTests.Alerts;
using DrSentinel.IntegrationTests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace DrSentinel.IntegrationTests.Chart;

/// <summary>
/// DrSentinel's Alertmanager route as Alertmanager itself reads it, checked by amtool (Debian's prometheus-alertmanager):
/// the chart's AlertmanagerConfig turned into the alertmanager.yml it stands for, and the plain alertmanager.yml that
/// docs/install.md sends an Alertmanager without prometheus-operator to.
/// </summary>
public sealed partial class ChartTests
{
    /// <summary>The alerts DrSentinel acts on (docs/actions.md) and its heartbeat; no other alert belongs on its route.</summary>
    private static readonly string[] Actionable =
        ["DrSentinelAzUnavailable", "DrSentinelAzUnreachable", "DrSentinelRdsPrimaryInImpairedAz", "DrSentinelRedisPrimaryInImpairedAz", "DrSentinelHeartbeat"];

    private static async Task<ProcessResult> AmtoolAsync(params string[] arguments) => await ExternalProcess.RunAsync("amtool", arguments, Deadline);

    private static YamlNode Child(YamlMappingNode map, string key) => map.Children.Single(c => ((YamlScalarNode)c.Key).Value == key).Value;

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.Where(c => ((YamlScalarNode)c.Key).Value == key).Select(c => ((YamlScalarNode)c.Value).Value).SingleOrDefault();

    private static async Task<YamlMappingNode> RenderedAlertmanagerConfigSpecAsync()
    {
        var objects = Objects(await TemplateAsync("--set", "alertmanagerConfig.enabled=true"));
        return (YamlMappingNode)Child(Assert.Single(objects, o => Scalar(o, "kind") == "AlertmanagerConfig"), "spec");
    }

    /// <summary>
    /// An AlertmanagerConfig's spec as the alertmanager.yml prometheus-operator makes of it: its route under a top-level
    /// route, keys in snake_case, matcher objects as matcher strings, the token's Secret as a mounted file. Returns its path.
    /// </summary>
    private static async Task<string> WritePlainAlertmanagerConfigAsync(YamlMappingNode spec, string directory)
    {
        var tokenFile = Path.Combine(directory, "drsentinel-webhook-token");
        await File.WriteAllTextAsync(tokenFile, "token");
        var receivers = new YamlSequenceNode(new YamlMappingNode { { "name", "default" } });
        foreach (var receiver in ((YamlSequenceNode)Child(spec, "receivers")).Children) receivers.Add(Plain(receiver, tokenFile));
        var config = new YamlMappingNode
        {
            { "route", new YamlMappingNode { { "receiver", "default" }, { "routes", new YamlSequenceNode(Plain(Child(spec, "route"), tokenFile)) } } },
            { "receivers", receivers },
            { "inhibit_rules", Plain(Child(spec, "inhibitRules"), tokenFile) },
        };
        var path = Path.Combine(directory, "alertmanager.yml");
        await using (var writer = new StreamWriter(path)) new YamlStream(new YamlDocument(config)).Save(writer, assignAnchors: false);
        return path;
    }

    private static YamlNode Plain(YamlNode node, string tokenFile) => node switch
    {
        YamlMappingNode map => new YamlMappingNode(map.Children.Select(c => PlainEntry(((YamlScalarNode)c.Key).Value!, c.Value, tokenFile))),
        YamlSequenceNode list => new YamlSequenceNode(list.Children.Select(n => Plain(n, tokenFile))),
        _ => node,
    };

    private static KeyValuePair<YamlNode, YamlNode> PlainEntry(string key, YamlNode value, string tokenFile) => key switch
    {
        "matchers" => new(new YamlScalarNode("matchers"), Matchers(value)),
        "sourceMatch" => new(new YamlScalarNode("source_matchers"), Matchers(value)),
        "targetMatch" => new(new YamlScalarNode("target_matchers"), Matchers(value)),
        "credentials" => new(new YamlScalarNode("credentials_file"), new YamlScalarNode(tokenFile)),
        _ => new(new YamlScalarNode(string.Concat(key.Select(c => char.IsUpper(c) ? $"_{char.ToLowerInvariant(c)}" : $"{c}"))), Plain(value, tokenFile)),
    };

    /// <summary>v1alpha1 matchers ({name, matchType, value}) as Alertmanager's matcher strings: alertname=~"A|B".</summary>
    private static YamlSequenceNode Matchers(YamlNode matchers) => new(((YamlSequenceNode)matchers).Children.Cast<YamlMappingNode>().Select(m =>
        new YamlScalarNode($"{Scalar(m, "name")}{Scalar(m, "matchType") ?? "="}\"{Scalar(m, "value")!.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"")));

    [Fact]
    public async Task AlertmanagerConfig_AsPlainAlertmanagerYml_PassesAmtoolCheckConfig()
    {
        var spec = await RenderedAlertmanagerConfigSpecAsync();
        var directory = Directory.CreateTempSubdirectory("drsentinel-chart-alertmanager-");
        try
        {
            var config = await WritePlainAlertmanagerConfigAsync(spec, directory.FullName);

            var result = await AmtoolAsync("check-config", config);

            Assert.True(result.ExitCode == 0, $"{result}\n--- {config}\n{await File.ReadAllTextAsync(config)}");
            // amtool read all of it: every inhibition, and DrSentinel's receiver beside the default one
            Assert.Contains($" - {((YamlSequenceNode)Child(spec, "inhibitRules")).Children.Count} inhibit rules", result.Output, StringComparison.Ordinal);
            Assert.Contains(" - 2 receivers", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AlertmanagerConfig_AsPlainAlertmanagerYml_RoutesTheActionableAlertsAndNoOtherToDrSentinel()
    {
        var spec = await RenderedAlertmanagerConfigSpecAsync();
        var directory = Directory.CreateTempSubdirectory("drsentinel-chart-alertmanager-");
        try
        {
            var config = await WritePlainAlertmanagerConfigAsync(spec, directory.FullName);
            var alerts = RuleFile.Load().Alerts.Select(a => a.Alert!).Distinct().Order(StringComparer.Ordinal).ToList();
            Assert.Subset(alerts.ToHashSet(), Actionable.ToHashSet());

            var receivers = new List<string>();
            foreach (var alert in alerts)
            {
                var result = await AmtoolAsync("config", "routes", "test", $"--config.file={config}", $"alertname={alert}");
                Assert.True(result.ExitCode == 0, result.ToString());
                receivers.Add($"{alert} -> {result.Output.Trim()}");
            }

            Assert.Equal(alerts.Select(a => $"{a} -> {(Actionable.Contains(a) ? "drsentinel" : "default")}"), receivers);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task InstallGuide_PlainAlertmanagerYml_PassesAmtoolCheckConfig()
    {
        // docs/install.md has an Alertmanager without prometheus-operator take DrSentinel's route, receiver and inhibit
        // rules from this file, which is a whole alertmanager.yml
        const string Example = "alerts/alertmanager.example.yml";
        Assert.Contains($"`{Example}`", await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "docs", "install.md")), StringComparison.Ordinal);

        var result = await AmtoolAsync("check-config", Path.Combine(RepoPaths.Root, Example));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(" - route", result.Output, StringComparison.Ordinal);
    }
}
