using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DrSentinel.Sandbox.Region;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static DrSentinel.Sandbox.Kubernetes.KubernetesResponses;

namespace DrSentinel.Sandbox.Kubernetes;

/// <summary>coordination.k8s.io/v1 leases (leader election) and core/v1 event creation.</summary>
internal static class LeaseApi
{
    private const string Leases = "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases";

    public static void MapLeases(this IEndpointRouteBuilder app, SandboxRegion region)
    {
        app.MapPost(Leases, (HttpContext c, string ns) => WriteLeaseAsync(c, region, ns, null));
        app.MapPut(Leases + "/{name}", (HttpContext c, string ns, string name) => WriteLeaseAsync(c, region, ns, name));
        app.MapGet(Leases + "/{name}", async (HttpContext c, string ns, string name) =>
        {
            var lease = region.Read(r => r.Leases.GetValueOrDefault((ns, name)));
            if (lease is null) await WriteStatusAsync(c, 404, "NotFound", $"leases.coordination.k8s.io \"{name}\" not found");
            else await WriteJsonAsync(c, 200, w => WriteLease(w, lease));
        });
        app.MapPost("/api/v1/namespaces/{ns}/events", async (HttpContext c, string ns) =>
        {
            var body = await JsonNode.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted) as JsonObject;
            if (body?["metadata"] is not JsonObject metadata || (metadata["name"] is null && metadata["generateName"] is null))
            {
                await WriteStatusAsync(c, 422, "Invalid", "an event needs metadata.name or metadata.generateName");
                return;
            }
            var version = region.Read(r =>
            {
                r.KubernetesEvents.Add(body);
                return r.Cluster.NextResourceVersion();
            });
            metadata["namespace"] = ns;
            metadata["name"] ??= metadata["generateName"]!.GetValue<string>() + version.ToString("x", CultureInfo.InvariantCulture);
            metadata["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture);
            metadata["uid"] = Guid.NewGuid().ToString();
            c.Response.StatusCode = 201;
            await WriteRawAsync(c, body.ToJsonString());
        });
    }

    private static async Task WriteLeaseAsync(HttpContext c, SandboxRegion region, string ns, string? nameInPath)
    {
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted) as JsonObject;
        }
        catch (JsonException e)
        {
            await WriteStatusAsync(c, 400, "BadRequest", e.Message);
            return;
        }
        var name = body?["metadata"]?["name"]?.GetValue<string>();
        if (body is null || name is null || (nameInPath is not null && name != nameInPath))
        {
            await WriteStatusAsync(c, 422, "Invalid", "the lease needs metadata.name matching the path");
            return;
        }
        var spec = body["spec"] as JsonObject;
        var sentVersion = body["metadata"]?["resourceVersion"]?.GetValue<string>();
        var (lease, status, reason) = region.Read<(Lease?, int, string)>(r =>
        {
            var existing = r.Leases.GetValueOrDefault((ns, name));
            if (nameInPath is null && existing is not null) return (null, 409, "AlreadyExists");
            if (nameInPath is not null && existing is null) return (null, 404, "NotFound");
            if (existing is not null && sentVersion != existing.ResourceVersion.ToString(CultureInfo.InvariantCulture)) return (null, 409, "Conflict");
            var lease = new Lease(ns, name, spec?["holderIdentity"]?.GetValue<string>(), spec?["leaseDurationSeconds"]?.GetValue<int>(),
                ParseTime(spec?["acquireTime"]), ParseTime(spec?["renewTime"]), spec?["leaseTransitions"]?.GetValue<int>(),
                r.Cluster.NextResourceVersion(), existing?.Uid ?? Guid.NewGuid().ToString(), existing?.CreatedAt ?? r.Now);
            r.Leases[(ns, name)] = lease;
            return (lease, existing is null ? 201 : 200, "");
        });
        if (lease is not null) await WriteJsonAsync(c, status, w => WriteLease(w, lease));
        else if (reason == "Conflict")
            await WriteStatusAsync(c, 409, reason, $"Operation cannot be fulfilled on leases.coordination.k8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
        else await WriteStatusAsync(c, status, reason, $"leases.coordination.k8s.io \"{name}\" {(status == 404 ? "not found" : "already exists")}");
    }

    private static DateTimeOffset? ParseTime(JsonNode? node) =>
        node is null ? null : DateTimeOffset.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static void WriteLease(Utf8JsonWriter w, Lease lease)
    {
        static string Micro(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        w.WriteStartObject();
        w.WriteString("kind", "Lease");
        w.WriteString("apiVersion", "coordination.k8s.io/v1");
        w.WriteStartObject("metadata");
        w.WriteString("name", lease.Name);
        w.WriteString("namespace", lease.Namespace);
        w.WriteString("uid", lease.Uid);
        w.WriteString("resourceVersion", lease.ResourceVersion.ToString(CultureInfo.InvariantCulture));
        w.WriteString("creationTimestamp", NodeJson.Time(lease.CreatedAt));
        w.WriteEndObject();
        w.WriteStartObject("spec");
        if (lease.HolderIdentity is not null) w.WriteString("holderIdentity", lease.HolderIdentity);
        if (lease.LeaseDurationSeconds is { } d) w.WriteNumber("leaseDurationSeconds", d);
        if (lease.AcquireTime is { } a) w.WriteString("acquireTime", Micro(a));
        if (lease.RenewTime is { } rt) w.WriteString("renewTime", Micro(rt));
        if (lease.LeaseTransitions is { } t) w.WriteNumber("leaseTransitions", t);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
