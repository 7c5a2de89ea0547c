using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DrSentinel.Sandbox.Region;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static DrSentinel.Sandbox.Kubernetes.KubernetesResponses;

namespace DrSentinel.Sandbox.Kubernetes;

/// <summary>coordination.k8s.io/v1 leases (leader election, kubelet heartbeats; with their annotations) and core/v1 events: create, get, list.</summary>
internal static class LeaseApi
{
    private const string Leases = "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases";

    public static void MapLeases(this IEndpointRouteBuilder app, SandboxRegion region)
    {
        app.MapGet(Leases, (HttpContext c, string ns) => ListLeasesAsync(c, region, ns));
        app.MapGet("/apis/coordination.k8s.io/v1/leases", (HttpContext c) => ListLeasesAsync(c, region, null));
        app.MapGet("/api/v1/namespaces/{ns}/events", (HttpContext c, string ns) => ListEventsAsync(c, region, ns));
        app.MapGet("/api/v1/events", (HttpContext c) => ListEventsAsync(c, region, null));
        app.MapPost(Leases, async (HttpContext c, string ns) =>
        {
            if (!await FaultedAsync(c, region, "create-lease")) await WriteLeaseAsync(c, region, ns, null);
        });
        app.MapPut(Leases + "/{name}", async (HttpContext c, string ns, string name) =>
        {
            if (!await FaultedAsync(c, region, "update-lease")) await WriteLeaseAsync(c, region, ns, name);
        });
        app.MapGet(Leases + "/{name}", async (HttpContext c, string ns, string name) =>
        {
            if (await FaultedAsync(c, region, "get-lease")) return;
            var lease = region.Read(r => r.Leases.GetValueOrDefault((ns, name)));
            if (lease is null) await WriteStatusAsync(c, 404, "NotFound", $"leases.coordination.k8s.io \"{name}\" not found");
            else await WriteJsonAsync(c, 200, w => WriteLease(w, lease));
        });
        app.MapPost("/api/v1/namespaces/{ns}/events", (HttpContext c, string ns) => CreateEventAsync(c, region, ns));
    }

    /// <summary>
    /// Counts a Lease call and applies a fault injected for it (service <c>kubernetes</c>; a <c>client</c> in the fault
    /// matches the caller's User-Agent): its latency, then its error as the API server's Status. True when answered.
    /// </summary>
    private static async Task<bool> FaultedAsync(HttpContext c, SandboxRegion region, string operation)
    {
        var userAgent = c.Request.Headers.UserAgent.ToString();
        var fault = region.Read(r =>
        {
            r.CountCall("kubernetes", operation);
            return r.MatchFault("kubernetes", operation, userAgent);
        });
        if (fault is null) return false;
        if (fault.AddedLatency > TimeSpan.Zero) await Task.Delay(fault.AddedLatency, c.RequestAborted);
        if (fault.ErrorCode is null) return false;
        var status = fault.ErrorCode switch
        {
            "TooManyRequests" => 429,
            "Timeout" => 504,
            "InternalError" => 500,
            _ => 503,
        };
        await WriteStatusAsync(c, status, fault.ErrorCode, $"Injected fault: {fault.ErrorCode}");
        return true;
    }

    /// <summary>The request body as a JSON object, or null after answering 400 for anything else.</summary>
    private static async Task<JsonObject?> ReadObjectAsync(HttpContext c)
    {
        try
        {
            if (await JsonNode.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted) is JsonObject body) return body;
            await WriteStatusAsync(c, 400, "BadRequest", "the body must be a JSON object");
        }
        catch (JsonException e)
        {
            await WriteStatusAsync(c, 400, "BadRequest", $"the body is not valid JSON: {e.Message}");
        }
        return null;
    }

    /// <summary>The string at <paramref name="node"/>; null when absent; a <see cref="FormatException"/> naming <paramref name="field"/> for any other JSON type.</summary>
    private static string? Text(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new FormatException($"{field} must be a string"),
    };

    private static int? Number(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) => n,
        _ => throw new FormatException($"{field} must be a 32-bit integer"),
    };

    private static async Task CreateEventAsync(HttpContext c, SandboxRegion region, string ns)
    {
        if (await ReadObjectAsync(c) is not { } body) return;
        string? name, generateName;
        try
        {
            if (body["metadata"] is not JsonObject metadata) throw new FormatException("an event needs metadata");
            (name, generateName) = (Text(metadata["name"], "metadata.name"), Text(metadata["generateName"], "metadata.generateName"));
            if (name is null && generateName is null) throw new FormatException("an event needs metadata.name or metadata.generateName");
            foreach (var field in new[] { "reason", "message", "type" }) Text(body[field], field);
            Text(body["involvedObject"]?["kind"], "involvedObject.kind");
            Text(body["involvedObject"]?["name"], "involvedObject.name");
        }
        catch (FormatException e)
        {
            await WriteStatusAsync(c, 422, "Invalid", e.Message);
            return;
        }
        var created = region.Read(r =>
        {
            var version = r.Cluster.NextResourceVersion();
            var metadata = body["metadata"]!.AsObject();
            metadata["namespace"] = ns;
            metadata["name"] = name ?? generateName + version.ToString("x", CultureInfo.InvariantCulture);
            metadata["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture);
            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["creationTimestamp"] ??= NodeJson.Time(r.Now);
            r.KubernetesEvents.Add(body);
            return body.ToJsonString();
        });
        c.Response.StatusCode = 201;
        await WriteRawAsync(c, created);
    }

    private static async Task ListEventsAsync(HttpContext c, SandboxRegion region, string? ns)
    {
        var (events, version, now) = region.Read(r => (r.KubernetesEvents
            .Where(e => ns is null || e["metadata"]?["namespace"]?.GetValue<string>() == ns)
            .Select(e => e.DeepClone().AsObject()).ToList(), r.Cluster.ResourceVersion, r.Now));
        if (KubernetesApi.WantsTable(c))
        {
            await WriteJsonAsync(c, 200, w => WriteTable(w, version, [("Last Seen", 0), ("Type", 0), ("Reason", 0), ("Object", 0), ("Message", 0)],
                events.Select(e => (Metadata(e), (IReadOnlyList<string>)
                [
                    LastSeen(e, now), e["type"]?.ToString() ?? "", e["reason"]?.ToString() ?? "",
                    $"{e["involvedObject"]?["kind"]?.ToString().ToLowerInvariant()}/{e["involvedObject"]?["name"]}", e["message"]?.ToString() ?? "",
                ]))));
            return;
        }
        await WriteJsonAsync(c, 200, w => WriteList(w, "EventList", "v1", version, events, (x, e) =>
        {
            e["kind"] = "Event";
            e["apiVersion"] = "v1";
            e.WriteTo(x);
        }));
    }

    private static void WriteList<T>(Utf8JsonWriter w, string kind, string apiVersion, long version, IEnumerable<T> items, Action<Utf8JsonWriter, T> writeItem)
    {
        w.WriteStartObject();
        w.WriteString("kind", kind);
        w.WriteString("apiVersion", apiVersion);
        NodeJson.WriteListMetadata(w, version, null, 0);
        w.WriteStartArray("items");
        foreach (var item in items) writeItem(w, item);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string LastSeen(JsonObject e, DateTimeOffset now)
    {
        var seen = e["lastTimestamp"]?.ToString() ?? e["eventTime"]?.ToString() ?? e["metadata"]?["creationTimestamp"]?.ToString();
        return DateTimeOffset.TryParse(seen, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? NodeJson.Age(now - t) : "<unknown>";
    }

    private static (string Name, string Namespace, string? ResourceVersion, string? CreationTimestamp) Metadata(JsonObject e) =>
        (e["metadata"]?["name"]?.ToString() ?? "", e["metadata"]?["namespace"]?.ToString() ?? "", e["metadata"]?["resourceVersion"]?.ToString(),
            e["metadata"]?["creationTimestamp"]?.ToString());

    private static async Task ListLeasesAsync(HttpContext c, SandboxRegion region, string? ns)
    {
        var (leases, version, now) = region.Read(r => (r.Leases.Values.Where(l => ns is null || l.Namespace == ns)
            .OrderBy(l => l.Namespace, StringComparer.Ordinal).ThenBy(l => l.Name, StringComparer.Ordinal).ToList(), r.Cluster.ResourceVersion, r.Now));
        if (KubernetesApi.WantsTable(c))
        {
            await WriteJsonAsync(c, 200, w => WriteTable(w, version, [("Name", 0), ("Holder", 0), ("Age", 0)],
                leases.Select(l => ((l.Name, l.Namespace, (string?)l.ResourceVersion.ToString(CultureInfo.InvariantCulture), (string?)NodeJson.Time(l.CreatedAt)),
                    (IReadOnlyList<string>)[l.Name, l.HolderIdentity ?? "", NodeJson.Age(now - l.CreatedAt)]))));
            return;
        }
        await WriteJsonAsync(c, 200, w => WriteList(w, "LeaseList", "coordination.k8s.io/v1", version, leases, WriteLease));
    }

    /// <summary>A server-side printed table: the rows' objects carry the metadata kubectl needs (a namespace for -A).</summary>
    private static void WriteTable(Utf8JsonWriter w, long version, (string, int)[] columns,
        IEnumerable<((string Name, string Namespace, string? ResourceVersion, string? CreationTimestamp) Metadata, IReadOnlyList<string> Cells)> rows)
    {
        w.WriteStartObject();
        w.WriteString("kind", "Table");
        w.WriteString("apiVersion", "meta.k8s.io/v1");
        NodeJson.WriteListMetadata(w, version, null, 0);
        NodeJson.WriteColumns(w, columns);
        w.WriteStartArray("rows");
        foreach (var (metadata, cells) in rows)
        {
            w.WriteStartObject();
            w.WriteStartArray("cells");
            foreach (var cell in cells) w.WriteStringValue(cell);
            w.WriteEndArray();
            w.WriteStartObject("object");
            w.WriteString("kind", "PartialObjectMetadata");
            w.WriteString("apiVersion", "meta.k8s.io/v1");
            w.WriteStartObject("metadata");
            w.WriteString("name", metadata.Name);
            w.WriteString("namespace", metadata.Namespace);
            if (metadata.ResourceVersion is not null) w.WriteString("resourceVersion", metadata.ResourceVersion);
            if (metadata.CreationTimestamp is not null) w.WriteString("creationTimestamp", metadata.CreationTimestamp);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static async Task WriteLeaseAsync(HttpContext c, SandboxRegion region, string ns, string? nameInPath)
    {
        if (await ReadObjectAsync(c) is not { } body) return;
        string? name, sentVersion, holder;
        int? duration, transitions;
        Dictionary<string, string> annotations = new(StringComparer.Ordinal);
        DateTimeOffset? acquired, renewed;
        try
        {
            name = Text(body["metadata"]?["name"], "metadata.name");
            if (name is null || (nameInPath is not null && name != nameInPath)) throw new FormatException("the lease needs metadata.name matching the path");
            sentVersion = Text(body["metadata"]?["resourceVersion"], "metadata.resourceVersion");
            if (body["metadata"]?["annotations"] is JsonObject given)
            {
                foreach (var (key, value) in given) annotations[key] = Text(value, $"metadata.annotations[{key}]") ?? "";
            }
            else if (body["metadata"]?["annotations"] is not null) throw new FormatException("metadata.annotations must be an object of strings");
            var spec = body["spec"] as JsonObject;
            if (body["spec"] is not (null or JsonObject)) throw new FormatException("spec must be an object");
            holder = Text(spec?["holderIdentity"], "spec.holderIdentity");
            duration = Number(spec?["leaseDurationSeconds"], "spec.leaseDurationSeconds");
            transitions = Number(spec?["leaseTransitions"], "spec.leaseTransitions");
            acquired = ParseTime(spec?["acquireTime"], "spec.acquireTime");
            renewed = ParseTime(spec?["renewTime"], "spec.renewTime");
        }
        catch (FormatException e)
        {
            await WriteStatusAsync(c, 422, "Invalid", e.Message);
            return;
        }
        var (lease, status, reason) = region.Read<(Lease?, int, string)>(r =>
        {
            var existing = r.Leases.GetValueOrDefault((ns, name));
            if (nameInPath is null && existing is not null) return (null, 409, "AlreadyExists");
            if (nameInPath is not null && existing is null) return (null, 404, "NotFound");
            if (existing is not null && sentVersion != existing.ResourceVersion.ToString(CultureInfo.InvariantCulture)) return (null, 409, "Conflict");
            var lease = new Lease(ns, name, holder, duration, acquired, renewed, transitions,
                r.Cluster.NextResourceVersion(), existing?.Uid ?? Guid.NewGuid().ToString(), existing?.CreatedAt ?? r.Now) { Annotations = annotations };
            r.Leases[(ns, name)] = lease;
            return (lease, existing is null ? 201 : 200, "");
        });
        if (lease is not null) await WriteJsonAsync(c, status, w => WriteLease(w, lease));
        else if (reason == "Conflict")
            await WriteStatusAsync(c, 409, reason, $"Operation cannot be fulfilled on leases.coordination.k8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
        else await WriteStatusAsync(c, status, reason, $"leases.coordination.k8s.io \"{name}\" {(status == 404 ? "not found" : "already exists")}");
    }

    private static DateTimeOffset? ParseTime(JsonNode? node, string field) => Text(node, field) switch
    {
        null => null,
        var text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) => time,
        var text => throw new FormatException($"{field} '{text}' is not a timestamp"),
    };

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
        if (lease.Annotations.Count > 0)
        {
            w.WriteStartObject("annotations");
            foreach (var (key, value) in lease.Annotations) w.WriteString(key, value);
            w.WriteEndObject();
        }
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
