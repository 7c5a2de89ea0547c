using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace DrSentinel.Sandbox.Kubernetes;

internal static class KubernetesResponses
{
    public static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        await context.Response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted);
    }

    /// <summary>A meta/v1 Status, the body of every API server error.</summary>
    public static Task WriteStatusAsync(HttpContext context, int code, string reason, string message) =>
        WriteJsonAsync(context, code, w => WriteStatus(w, code, reason, message));

    public static void WriteStatus(Utf8JsonWriter w, int code, string reason, string message)
    {
        w.WriteStartObject();
        w.WriteString("kind", "Status");
        w.WriteString("apiVersion", "v1");
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteString("status", "Failure");
        w.WriteString("message", message);
        w.WriteString("reason", reason);
        w.WriteNumber("code", code);
        w.WriteEndObject();
    }

    public static Task WriteRawAsync(HttpContext context, string json)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json, context.RequestAborted);
    }
}
