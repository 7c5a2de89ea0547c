using System.Text.Json;
using System.Text.RegularExpressions;
using DrSentinel.Sandbox.Region;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DrSentinel.Sandbox.Kubernetes;

/// <summary>
/// The sandbox cluster's RBAC, as its one client (DrSentinel's service account) sees it: everything allowed but what a
/// test took away (<c>POST /sandbox/kubernetes/rbac/deny?verb=&amp;resource=&amp;namespace=</c>). A denied request is
/// answered 403 Forbidden as the API server words it, and <c>authorization.k8s.io/v1</c> SelfSubjectAccessReview answers
/// from the same rules.
/// </summary>
public static partial class AccessReviewApi
{
    public const string User = "system:serviceaccount:drsentinel:drsentinel";

    /// <summary>Refuses a request RBAC denies; maps the paths the sandbox serves to (verb, group, resource, namespace).</summary>
    public static IApplicationBuilder UseSandboxRbac(this IApplicationBuilder app, SandboxRegion region) => app.Use(async (context, next) =>
    {
        if (Attributes(context.Request) is { } a && region.Read(r => r.Rbac.Denies(a.Verb, a.Resource, a.Namespace)))
        {
            var scope = a.Namespace is null ? "at the cluster scope" : $"in the namespace \"{a.Namespace}\"";
            var name = a.Name is null ? "" : $" \"{a.Name}\"";
            await KubernetesResponses.WriteStatusAsync(context, 403, "Forbidden",
                $"{a.Resource}{(a.Group.Length > 0 ? "." + a.Group : "")}{name} is forbidden: User \"{User}\" cannot {a.Verb} resource \"{a.Resource}\" in API group \"{a.Group}\" {scope}");
            return;
        }
        await next(context);
    });

    public static IEndpointRouteBuilder MapAccessReviews(this IEndpointRouteBuilder app, SandboxRegion region)
    {
        app.MapPost("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", async (HttpContext c) =>
        {
            JsonElement review;
            try
            {
                review = await JsonSerializer.DeserializeAsync<JsonElement>(c.Request.Body, cancellationToken: c.RequestAborted);
            }
            catch (JsonException e)
            {
                await KubernetesResponses.WriteStatusAsync(c, 400, "BadRequest", $"the body is not a SelfSubjectAccessReview: {e.Message}");
                return;
            }
            if (!review.TryGetProperty("spec", out var spec) || !spec.TryGetProperty("resourceAttributes", out var attributes))
            {
                await KubernetesResponses.WriteStatusAsync(c, 422, "Invalid", "SelfSubjectAccessReview.authorization.k8s.io is invalid: spec.resourceAttributes: Required value");
                return;
            }
            string? Field(string name) => attributes.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var (verb, group, resource, ns) = (Field("verb") ?? "", Field("group") ?? "", Field("resource") ?? "", Field("namespace"));
            var allowed = !region.Read(r => r.Rbac.Denies(verb, resource, string.IsNullOrEmpty(ns) ? null : ns));
            c.Response.ContentType = "application/json";
            await using var w = new Utf8JsonWriter(c.Response.Body);
            w.WriteStartObject();
            w.WriteString("kind", "SelfSubjectAccessReview");
            w.WriteString("apiVersion", "authorization.k8s.io/v1");
            w.WriteStartObject("metadata");
            w.WriteEndObject();
            w.WritePropertyName("spec");
            spec.WriteTo(w);
            w.WriteStartObject("status");
            w.WriteBoolean("allowed", allowed);
            if (!allowed) w.WriteString("reason", $"RBAC: {User} may not {verb} {resource}{(group.Length > 0 ? "." + group : "")}");
            w.WriteEndObject();
            w.WriteEndObject();
        });
        return app;
    }

    private sealed record RequestAttributes(string Verb, string Group, string Resource, string? Namespace, string? Name);

    private static RequestAttributes? Attributes(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        var method = request.Method;
        var watch = request.Query["watch"] is var w && (w == "true" || w == "1");
        if (NodePath().Match(path) is { Success: true } node)
        {
            var name = node.Groups["name"].Success ? node.Groups["name"].Value : null;
            var verb = method switch
            {
                "PATCH" => "patch",
                "PUT" => "update",
                "GET" when name is not null => "get",
                "GET" => watch ? "watch" : "list",
                _ => method.ToLowerInvariant(),
            };
            return new(verb, "", "nodes", null, name);
        }
        if (NamespacedPath().Match(path) is { Success: true } m)
        {
            var (group, ns, resource) = (m.Groups["group"].Success ? m.Groups["group"].Value : "", m.Groups["ns"].Value, m.Groups["resource"].Value);
            var name = m.Groups["name"].Success ? m.Groups["name"].Value : null;
            var verb = method switch
            {
                "POST" => "create",
                "PUT" => "update",
                "PATCH" => "patch",
                "DELETE" => "delete",
                "GET" when name is not null => "get",
                "GET" => watch ? "watch" : "list",
                _ => method.ToLowerInvariant(),
            };
            return new(verb, group, resource, ns, name);
        }
        return null;
    }

    [GeneratedRegex("^/api/v1/nodes(/(?<name>[^/]+))?$")]
    private static partial Regex NodePath();

    [GeneratedRegex("^/(api/v1|apis/(?<group>[^/]+)/v1)/namespaces/(?<ns>[^/]+)/(?<resource>[^/]+)(/(?<name>[^/]+))?$")]
    private static partial Regex NamespacedPath();
}

/// <summary>What RBAC takes away from DrSentinel's service account: (verb, resource, namespace or null for every one).</summary>
public sealed class SandboxRbac
{
    private readonly HashSet<(string Verb, string Resource, string? Namespace)> _denied = [];

    public void Deny(string verb, string resource, string? ns) => _denied.Add((verb, resource, ns));

    public void AllowAll() => _denied.Clear();

    public bool Denies(string verb, string resource, string? ns) =>
        _denied.Contains((verb, resource, null)) || (ns is not null && _denied.Contains((verb, resource, ns)));

    public IEnumerable<string> Describe() => _denied.Select(d => $"{d.Verb} {d.Resource}{(d.Namespace is null ? "" : $" in {d.Namespace}")}");
}
