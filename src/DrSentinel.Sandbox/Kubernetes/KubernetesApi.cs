using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DrSentinel.Sandbox.Region;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static DrSentinel.Sandbox.Kubernetes.KubernetesResponses;

namespace DrSentinel.Sandbox.Kubernetes;

/// <summary>The subset of the Kubernetes API that DrSentinel and kubectl use: discovery, nodes (list, watch, get, patch).</summary>
public static class KubernetesApi
{
    private const string Discovery = """
        {"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1","resources":[
        {"name":"nodes","singularName":"node","namespaced":false,"kind":"Node","verbs":["get","list","patch","watch"],"shortNames":["no"]},
        {"name":"events","singularName":"event","namespaced":true,"kind":"Event","verbs":["create","list"],"shortNames":["ev"]}]}
        """;

    private const string CoordinationDiscovery = """
        {"kind":"APIResourceList","apiVersion":"v1","groupVersion":"coordination.k8s.io/v1","resources":[
        {"name":"leases","singularName":"lease","namespaced":true,"kind":"Lease","verbs":["create","get","list","update"]}]}
        """;

    public static IEndpointRouteBuilder MapKubernetes(this IEndpointRouteBuilder app, SandboxRegion region, TimeSpan bookmarkInterval)
    {
        app.MapGet("/version", (HttpContext c) => WriteRawAsync(c,
            """{"major":"1","minor":"33","gitVersion":"v1.33.5-eks-sandbox","gitCommit":"0000000","gitTreeState":"clean","buildDate":"2026-01-01T00:00:00Z","goVersion":"go1.24","compiler":"gc","platform":"linux/amd64"}"""));
        app.MapGet("/api", (HttpContext c) => WriteRawAsync(c,
            """{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}"""));
        app.MapGet("/apis", (HttpContext c) => WriteRawAsync(c,
            """{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"coordination.k8s.io","versions":[{"groupVersion":"coordination.k8s.io/v1","version":"v1"}],"preferredVersion":{"groupVersion":"coordination.k8s.io/v1","version":"v1"}}]}"""));
        app.MapGet("/api/v1", (HttpContext c) => WriteRawAsync(c, Discovery));
        app.MapGet("/apis/coordination.k8s.io/v1", (HttpContext c) => WriteRawAsync(c, CoordinationDiscovery));

        app.MapGet("/api/v1/nodes", (HttpContext c) => c.Request.Query["watch"] is var w && (w == "true" || w == "1")
            ? NodeWatch.ServeAsync(c, region, bookmarkInterval)
            : ListNodesAsync(c, region));
        app.MapGet("/api/v1/nodes/{name}", (HttpContext c, string name) => GetNodeAsync(c, region, name));
        app.MapMethods("/api/v1/nodes/{name}", ["PATCH"], (HttpContext c, string name) => PatchNodeAsync(c, region, name));
        app.MapLeases(region);
        return app;
    }

    internal static bool WantsTable(HttpContext c) => c.Request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);

    /// <summary>Nodes by selector, in chunks when the client gives a limit (kubectl asks for 500 at a time) and follows continue.</summary>
    private static async Task ListNodesAsync(HttpContext c, SandboxRegion region)
    {
        NodeFilter filter;
        int? limit;
        string? after;
        try
        {
            filter = NodeFilter.Parse(c.Request.Query["labelSelector"], c.Request.Query["fieldSelector"]);
            limit = c.Request.Query["limit"] is { Count: > 0 } l && l.ToString().Length > 0
                ? int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"limit '{l}' is not a non-negative integer")
                : null;
            after = ContinueToken.Parse(c.Request.Query["continue"]);
        }
        catch (FormatException e)
        {
            await WriteStatusAsync(c, 400, "BadRequest", e.Message);
            return;
        }
        var (nodes, version, now) = region.Read(r =>
        {
            r.CountCall("kubernetes", "list-nodes");
            return (r.Cluster.Nodes.Select(r.Cluster.Snapshot).Where(filter.Matches)
                .Where(n => after is null || string.CompareOrdinal(n.Name, after) > 0)
                .OrderBy(n => n.Name, StringComparer.Ordinal).ToList(), r.Cluster.ResourceVersion, r.Now);
        });
        var page = limit is > 0 ? nodes.Take(limit.Value).ToList() : nodes;
        var next = page.Count < nodes.Count ? ContinueToken.After(page[^1].Name) : null;
        var remaining = nodes.Count - page.Count;
        if (WantsTable(c)) await WriteJsonAsync(c, 200, w => NodeJson.WriteTable(w, page, version, now, withColumns: true, next, remaining));
        else await WriteJsonAsync(c, 200, w => NodeJson.WriteList(w, page, version, next, remaining));
    }

    private static async Task GetNodeAsync(HttpContext c, SandboxRegion region, string name)
    {
        var (node, now) = region.Read(r => (r.Cluster.Find(name) is { } n ? r.Cluster.Snapshot(n) : null, r.Now));
        if (node is null)
            await WriteStatusAsync(c, 404, "NotFound", $"nodes \"{name}\" not found");
        else if (WantsTable(c))
            await WriteJsonAsync(c, 200, w => NodeJson.WriteTable(w, [node], node.ResourceVersion, now, withColumns: true));
        else
            await WriteJsonAsync(c, 200, w => NodeJson.WriteNode(w, node));
    }

    /// <summary>Merge and strategic-merge patches of labels, annotations and spec.unschedulable (what cordon and uncordon send).</summary>
    private static async Task PatchNodeAsync(HttpContext c, SandboxRegion region, string name)
    {
        var contentType = c.Request.ContentType ?? "";
        if (!contentType.StartsWith("application/merge-patch+json", StringComparison.Ordinal)
            && !contentType.StartsWith("application/strategic-merge-patch+json", StringComparison.Ordinal))
        {
            await WriteStatusAsync(c, 415, "UnsupportedMediaType", $"the sandbox supports merge and strategic-merge patches, not {contentType}");
            return;
        }
        JsonObject? patch;
        try
        {
            patch = await JsonNode.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted) as JsonObject;
        }
        catch (JsonException e)
        {
            await WriteStatusAsync(c, 400, "BadRequest", $"the patch is not valid JSON: {e.Message}");
            return;
        }
        if (patch is null)
        {
            await WriteStatusAsync(c, 400, "BadRequest", "the patch must be a JSON object");
            return;
        }
        string? error = null;
        var conflict = false;
        var updated = region.Read(r =>
        {
            r.CountCall("kubernetes", "patch-node");
            var node = r.Cluster.Find(name);
            if (node is null) return null;
            error = Validate(patch);
            if (error is not null) return null;
            // A resourceVersion in the patch is a precondition, as on a real API server: changed since, the patch is refused.
            if (patch["metadata"]?["resourceVersion"] is JsonValue expected && expected.ToString() != node.ResourceVersion.ToString(CultureInfo.InvariantCulture))
            {
                conflict = true;
                return null;
            }
            Apply(patch, node);
            r.Cluster.Touch(node);
            return r.Cluster.Snapshot(node);
        });
        if (error is not null) await WriteStatusAsync(c, 422, "Invalid", error);
        else if (conflict)
            await WriteStatusAsync(c, 409, "Conflict", $"Operation cannot be fulfilled on nodes \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
        else if (updated is null) await WriteStatusAsync(c, 404, "NotFound", $"nodes \"{name}\" not found");
        else await WriteJsonAsync(c, 200, w => NodeJson.WriteNode(w, updated));
    }

    private static string? Validate(JsonObject patch)
    {
        if (patch["spec"] is JsonObject spec && spec["unschedulable"] is { } u && u.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            return "spec.unschedulable must be a boolean or null";
        foreach (var section in new[] { "labels", "annotations" })
        {
            if (patch["metadata"]?[section] is not JsonObject values) continue;
            foreach (var (key, value) in values)
            {
                if (value is null) continue;
                if (value.GetValueKind() != JsonValueKind.String) return $"metadata.{section} values must be strings or null";
                string text;
                try
                {
                    text = value.GetValue<string>();
                }
                catch (InvalidOperationException)
                {
                    return $"metadata.{section}[{key}]: the value is not valid UTF-8";
                }
                if (ObjectMeta.KeyProblem(key) is { } keyProblem) return $"metadata.{section}: Invalid value: \"{key}\": {keyProblem}";
                if (section == "labels" && ObjectMeta.LabelValueProblem(text) is { } valueProblem)
                    return $"metadata.labels: Invalid value: \"{text}\": {valueProblem}";
            }
        }
        return null;
    }

    private static void Apply(JsonObject patch, ClusterNode node)
    {
        if (patch["spec"] is JsonObject spec && spec.ContainsKey("unschedulable"))
            node.Unschedulable = spec["unschedulable"]?.GetValue<bool>() ?? false;
        if (patch["metadata"] is not JsonObject metadata) return;
        foreach (var (section, target) in new[] { ("labels", node.ExtraLabels), ("annotations", node.Annotations) })
        {
            if (metadata[section] is not JsonObject values) continue;
            foreach (var (key, value) in values)
            {
                if (value is null) target.Remove(key);
                else target[key] = value.GetValue<string>();
            }
        }
    }

    /// <summary>A resourceVersion the client sent; anything but a non-negative 64-bit number is a <see cref="FormatException"/>.</summary>
    internal static long ParseResourceVersion(string? value) =>
        string.IsNullOrEmpty(value) ? 0
        : long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version
        : throw new FormatException($"resourceVersion '{value}' is not a valid resource version");
}
