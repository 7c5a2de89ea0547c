using System.Text.Json;
using DrSentinel.IntegrationTests.Alerts;
using DrSentinel.IntegrationTests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace DrSentinel.IntegrationTests.Chart;

/// <summary>
/// charts/drsentinel with the real helm 4: lint, render with the defaults and with every value set, one source of truth
/// for the rules and the dashboards, the schema refusing bad values, and the settings a safe install depends on.
/// </summary>
public sealed partial class ChartTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(1);
    private static readonly string ChartFolder = Path.Combine(RepoPaths.Root, "charts", "drsentinel");
    private static readonly string AllValues = Path.Combine(RepoPaths.Root, "tests", "DrSentinel.IntegrationTests", "Chart", "all-values.yaml");

    private static async Task<ProcessResult> HelmAsync(params string[] arguments) => await ExternalProcess.RunAsync(RepoPaths.Helm, arguments, Deadline);

    /// <summary>helm template's output as it prints it.</summary>
    private static async Task<string> TemplateAsync(params string[] values)
    {
        var result = await HelmAsync(["template", "dr", ChartFolder, "--namespace", "drsentinel", .. values]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Output;
    }

    /// <summary>helm template's objects as YAML nodes, documents that are only comments left out.</summary>
    private static List<YamlMappingNode> Objects(string manifests)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(manifests));
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    /// <summary>helm template's documents as JSON, by kind and name.</summary>
    private static async Task<List<JsonElement>> RenderAsync(params string[] values) => [.. Objects(await TemplateAsync(values)).Select(Json)];

    /// <summary>A YAML node as JSON, keys sorted, scalars as strings: two documents equal as data compare equal as text.</summary>
    private static JsonElement Json(YamlNode node)
    {
        static object? Plain(YamlNode n) => n switch
        {
            YamlMappingNode m => new SortedDictionary<string, object?>(
                m.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => Plain(c.Value), StringComparer.Ordinal), StringComparer.Ordinal),
            YamlSequenceNode s => s.Children.Select(Plain).ToList(),
            YamlScalarNode { Value: var v } => v,
            _ => null,
        };
        return JsonSerializer.SerializeToElement(Plain(node));
    }

    private static JsonElement Single(List<JsonElement> docs, string kind) => Assert.Single(docs, d => d.GetProperty("kind").GetString() == kind);

    private static JsonElement YamlFile(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return Json(stream.Documents[0].RootNode);
    }

    [Fact]
    public async Task HelmLintStrict_Passes()
    {
        var result = await HelmAsync("lint", "--strict", ChartFolder);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Defaults_TwoReplicasAcrossZones_Hardened_Probed_StateOnAVolume()
    {
        var docs = await RenderAsync();

        var deployment = Single(docs, "Deployment");
        var spec = deployment.GetProperty("spec");
        Assert.Equal("2", spec.GetProperty("replicas").GetString());
        var pod = spec.GetProperty("template").GetProperty("spec");
        var spread = Assert.Single(pod.GetProperty("topologySpreadConstraints").EnumerateArray());
        Assert.Equal(("topology.kubernetes.io/zone", "DoNotSchedule"),
            (spread.GetProperty("topologyKey").GetString(), spread.GetProperty("whenUnsatisfiable").GetString()));
        Assert.Equal("true", pod.GetProperty("securityContext").GetProperty("runAsNonRoot").GetString());
        Assert.Equal("RuntimeDefault", pod.GetProperty("securityContext").GetProperty("seccompProfile").GetProperty("type").GetString());
        var container = Assert.Single(pod.GetProperty("containers").EnumerateArray());
        var security = container.GetProperty("securityContext");
        Assert.Equal(("true", "false"), (security.GetProperty("readOnlyRootFilesystem").GetString(), security.GetProperty("allowPrivilegeEscalation").GetString()));
        Assert.Equal(["ALL"], security.GetProperty("capabilities").GetProperty("drop").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("/healthz", container.GetProperty("livenessProbe").GetProperty("httpGet").GetProperty("path").GetString());
        Assert.Equal("/readyz", container.GetProperty("readinessProbe").GetProperty("httpGet").GetProperty("path").GetString());
        var env = container.GetProperty("env").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!,
            e => e.TryGetProperty("value", out var v) ? v.GetString() : e.GetProperty("valueFrom").GetProperty("fieldRef").GetProperty("fieldPath").GetString());
        Assert.Equal("true", env["Actions__DryRun"]); // actions are off until the operator turns them on
        Assert.Equal(("true", "metadata.name", "metadata.namespace"), (env["Leadership__Enabled"], env["Leadership__Identity"], env["Leadership__Namespace"]));
        Assert.Equal("json", env["Logging__Console__FormatterName"]);
        Assert.Equal("/var/lib/drsentinel", env["Receiver__StateDirectory"]);
        Assert.Contains(container.GetProperty("volumeMounts").EnumerateArray(), m => m.GetProperty("mountPath").GetString() == "/var/lib/drsentinel");
        Assert.DoesNotContain(env.Keys, k => k.Contains("Password", StringComparison.Ordinal) && !k.EndsWith("PasswordFile", StringComparison.Ordinal));
        Assert.NotEqual(env["Receiver__BearerTokenFile"], env["Receiver__OperatorTokenFile"]);
        Assert.Equal("1", Single(docs, "PodDisruptionBudget").GetProperty("spec").GetProperty("maxUnavailable").GetString());
        Assert.Equal(2, docs.Count(d => d.GetProperty("kind").GetString() == "Secret")); // Alertmanager's token and the operators'
        Assert.DoesNotContain(docs, d => d.GetProperty("kind").GetString() == "AlertmanagerConfig");
    }

    [Fact]
    public async Task Rbac_LeastPrivilege_NodesEventsLeasesInItsNamespaceAndListingTheKubeletsLeases()
    {
        var docs = await RenderAsync();

        static string Rules(JsonElement role) => string.Join("; ", role.GetProperty("rules").EnumerateArray().Select(r =>
            $"{string.Join(",", r.GetProperty("apiGroups").EnumerateArray().Select(g => g.GetString()))}/" +
            $"{string.Join(",", r.GetProperty("resources").EnumerateArray().Select(g => g.GetString()))}:" +
            string.Join(",", r.GetProperty("verbs").EnumerateArray().Select(g => g.GetString()))));
        Assert.Equal("/nodes:get,list,watch,patch; /events:create; authorization.k8s.io/selfsubjectaccessreviews:create", Rules(Single(docs, "ClusterRole")));
        var roles = docs.Where(d => d.GetProperty("kind").GetString() == "Role")
            .ToDictionary(r => r.GetProperty("metadata").GetProperty("namespace").GetString()!, Rules);
        Assert.Equal(2, roles.Count);
        Assert.Equal("coordination.k8s.io/leases:get,create,update", roles["drsentinel"]);
        Assert.Equal("coordination.k8s.io/leases:list", roles["kube-node-lease"]);
        var bindings = docs.Where(d => d.GetProperty("kind").GetString() == "RoleBinding").Select(b =>
            (b.GetProperty("metadata").GetProperty("namespace").GetString(), b.GetProperty("roleRef").GetProperty("name").GetString(),
                b.GetProperty("subjects")[0].GetProperty("namespace").GetString()));
        Assert.Contains(("kube-node-lease", "dr-drsentinel-node-leases", "drsentinel"), bindings);
    }

    [Fact]
    public async Task EveryValueSet_RendersAndEveryValueTakesEffect()
    {
        var docs = await RenderAsync("-f", AllValues);

        var pod = Single(docs, "Deployment").GetProperty("spec").GetProperty("template").GetProperty("spec");
        var container = pod.GetProperty("containers")[0];
        Assert.Equal("registry.example.com/platform/drsentinel@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            container.GetProperty("image").GetString());
        var env = container.GetProperty("env").EnumerateArray().Where(e => e.TryGetProperty("value", out _))
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("value").GetString());
        Assert.Equal(("prod-eu", "eu-west-1", "false", "true"), (env["Inventory__ClusterName"], env["Aws__Region"], env["Actions__DryRun"], env["Actions__KillSwitch"]));
        Assert.Equal(("primary", "critical", "pyairtable-read-replica"),
            (env["Actions__AllowedNodeGroups__0"], env["Actions__AllowedNodeGroups__1"], env["Actions__PromotableReplicas__0"]));
        Assert.Equal(("/etc/drsentinel/postgres/password", "VerifyFull", "/etc/drsentinel/redis/password"),
            (env["Probes__Postgres__PasswordFile"], env["Probes__Postgres__SslMode"], env["Probes__Redis__PasswordFile"]));
        Assert.Equal("http://otel-collector.observability:4317", env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("00:00:30", env["Inventory__AwsRefreshInterval"]);
        Assert.Equal(("http://alertmanager-operated.monitoring:9093/", "00:00:30"), (env["Receiver__AlertmanagerUrls__0"], env["Receiver__ReconcileEvery"]));
        Assert.Equal("arn:aws:iam::123456789012:role/drsentinel",
            Single(docs, "ServiceAccount").GetProperty("metadata").GetProperty("annotations").GetProperty("eks.amazonaws.com/role-arn").GetString());
        Assert.DoesNotContain(docs, d => d.GetProperty("kind").GetString() == "Secret"); // both credentials from existing Secrets
        var volumes = pod.GetProperty("volumes").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!);
        Assert.Equal("drsentinel-state", volumes["state"].GetProperty("persistentVolumeClaim").GetProperty("claimName").GetString());
        Assert.Equal("bearer", volumes["webhook-token"].GetProperty("secret").GetProperty("items")[0].GetProperty("key").GetString());
        Assert.All(docs.Where(d => d.GetProperty("kind").GetString() == "ConfigMap"), c =>
            Assert.Equal(("monitoring", "yes"), (c.GetProperty("metadata").GetProperty("namespace").GetString(),
                c.GetProperty("metadata").GetProperty("labels").GetProperty("grafana_dashboard_custom").GetString())));
        Single(docs, "AlertmanagerConfig");
    }

    [Fact]
    public async Task PrometheusRule_IsTheRuleFileItself()
    {
        var docs = await RenderAsync();

        var rendered = Single(docs, "PrometheusRule").GetProperty("spec");
        Assert.Equal(YamlFile(RuleFile.Path).ToString(), rendered.ToString());
        Assert.Equal(await File.ReadAllTextAsync(RuleFile.Path), await File.ReadAllTextAsync(Path.Combine(ChartFolder, "files", "drsentinel.rules.yml")));
    }

    [Fact]
    public async Task DashboardConfigMaps_AreTheDashboardFilesThemselves_LabelledForTheSidecar()
    {
        var docs = await RenderAsync();

        var files = Directory.GetFiles(Path.Combine(RepoPaths.Root, "dashboards"), "*.json").Order(StringComparer.Ordinal).ToList();
        var maps = docs.Where(d => d.GetProperty("kind").GetString() == "ConfigMap").ToList();
        Assert.Equal(files.Count, maps.Count);
        Assert.Equal(files.Count, Directory.GetFiles(Path.Combine(ChartFolder, "files", "dashboards"), "*.json").Length);
        foreach (var file in files)
        {
            var map = Assert.Single(maps, m => m.GetProperty("data").TryGetProperty(Path.GetFileName(file), out _));
            Assert.Equal((await File.ReadAllTextAsync(file)).TrimEnd('\n'), map.GetProperty("data").GetProperty(Path.GetFileName(file)).GetString());
            Assert.Equal("1", map.GetProperty("metadata").GetProperty("labels").GetProperty("grafana_dashboard").GetString());
        }
    }

    [Theory]
    [InlineData("replicaCount=zero", "/replicaCount")]
    [InlineData("actions.dryrun=false", "dryrun")]
    [InlineData("probes.postgres.sslMode=Prefer", "/probes/postgres/sslMode")]
    [InlineData("image.digest=latest", "/image/digest")]
    [InlineData("topologySpread.whenUnsatisfiable=Sometimes", "/topologySpread/whenUnsatisfiable")]
    public async Task BadValue_RefusedNamingIt(string setting, string named)
    {
        var result = await HelmAsync("template", "dr", ChartFolder, "--set", setting);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(named, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertmanagerConfig_RoutesAndInhibitsAsTheExampleDoes()
    {
        var docs = await RenderAsync("--set", "alertmanagerConfig.enabled=true");

        var spec = Single(docs, "AlertmanagerConfig").GetProperty("spec");
        var example = YamlFile(Path.Combine(RepoPaths.Root, "alerts", "alertmanager.example.yml"));
        var route = example.GetProperty("route").GetProperty("routes").EnumerateArray().Single(r => r.GetProperty("receiver").GetString() == "drsentinel");
        Assert.Equal(route.GetProperty("matchers")[0].GetString(),
            $"alertname=~\"{spec.GetProperty("route").GetProperty("matchers")[0].GetProperty("value").GetString()}\"");
        foreach (var (field, camel) in new[] { ("group_wait", "groupWait"), ("group_interval", "groupInterval"), ("repeat_interval", "repeatInterval"), ("continue", "continue") })
            Assert.Equal(route.GetProperty(field).GetString(), spec.GetProperty("route").GetProperty(camel).GetString());
        static string Matcher(JsonElement m) => $"{m.GetProperty("name").GetString()}{(m.TryGetProperty("matchType", out var t) ? t.GetString() : "=")}\"{m.GetProperty("value").GetString()}\"";
        var inhibitions = spec.GetProperty("inhibitRules").EnumerateArray().Select(r =>
            $"{string.Join(",", r.GetProperty("sourceMatch").EnumerateArray().Select(Matcher))} -> {string.Join(",", r.GetProperty("targetMatch").EnumerateArray().Select(Matcher))} on {r.GetProperty("equal")}");
        var expected = example.GetProperty("inhibit_rules").EnumerateArray().Select(r =>
            $"{string.Join(",", r.GetProperty("source_matchers").EnumerateArray().Select(m => m.GetString()))} -> {string.Join(",", r.GetProperty("target_matchers").EnumerateArray().Select(m => m.GetString()))} on {r.GetProperty("equal")}");
        Assert.Equal(expected, inhibitions);
    }
}
