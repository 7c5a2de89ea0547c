using DrSentinel.IntegrationTests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace DrSentinel.IntegrationTests.Chart;

/// <summary>
/// Every rendered object against the schema of its kind, offline: the Kubernetes API's own for the core kinds,
/// prometheus-operator's CRDs for ServiceMonitor, PrometheusRule and AlertmanagerConfig (schema-check/validate.mjs).
/// </summary>
public sealed partial class ChartTests
{
    private static async Task<ProcessResult> SchemaCheckAsync(string manifests) =>
        await ExternalProcess.RunAsync(RepoPaths.SchemaCheck, [], Deadline, input: manifests);

    private static string KindAndName(YamlMappingNode o) =>
        $"{((YamlScalarNode)o["kind"]).Value}/{((YamlScalarNode)((YamlMappingNode)o["metadata"])["name"]).Value}";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RenderedObjects_EachValidForTheSchemaOfItsKind(bool everyValueSet)
    {
        var manifests = await TemplateAsync(everyValueSet ? ["-f", AllValues] : []);

        var result = await SchemaCheckAsync(manifests);

        Assert.True(result.ExitCode == 0, result.ToString());
        // every object was checked, none skipped: the check names each one it found valid
        var validated = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[2]);
        Assert.Equal(Objects(manifests).Select(KindAndName).Order(StringComparer.Ordinal), validated.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("  replicas: 3\n", "  replicas: \"three\"\n", "Deployment/dr-drsentinel: /spec/replicas must be integer")]
    [InlineData("    groupWait: 0s\n", "    groupWait: soon\n", "AlertmanagerConfig/dr-drsentinel: /spec/route/groupWait must match pattern")]
    [InlineData("apiVersion: policy/v1\n", "apiVersion: example.com/v1\n", "PodDisruptionBudget/dr-drsentinel: no schema for apiVersion \"example.com/v1\"")]
    public async Task SchemaCheck_OneObjectBroken_FailsNamingItAndThePath(string rendered, string broken, string named)
    {
        var manifests = await TemplateAsync("-f", AllValues);
        Assert.Contains(rendered, manifests, StringComparison.Ordinal);

        var result = await SchemaCheckAsync(manifests.Replace(rendered, broken, StringComparison.Ordinal));

        Assert.Equal(1, result.ExitCode);
        var failure = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(named, failure, StringComparison.Ordinal);
    }
}
