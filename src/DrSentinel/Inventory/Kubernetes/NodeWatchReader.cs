using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace DrSentinel.Inventory.Kubernetes;

public enum NodeWatchEventType { Added, Modified, Deleted, Bookmark }

/// <summary>One event of a node watch; a bookmark carries only its resourceVersion.</summary>
public sealed record NodeWatchEvent(NodeWatchEventType Type, V1Node Node);

/// <summary>The watch ended with a Status: 410 Gone means the resourceVersion is too old and a new list is needed.</summary>
public sealed class NodeWatchException(int code, string reason, string message) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public bool Gone => Code == 410;
}

/// <summary>
/// GET /api/v1/nodes?watch=true over the client's own HTTP pipeline (its TLS and credentials), read one JSON event a
/// line. KubernetesClient.Aot has the models and CRUD calls but no watch; this is the watch, trimming- and AOT-safe.
/// </summary>
public static class NodeWatchReader
{
    public static async IAsyncEnumerable<NodeWatchEvent> WatchAsync(k8s.Kubernetes client, string resourceVersion, TimeSpan timeout,
        [EnumeratorCancellation] CancellationToken cancel)
    {
        var uri = new Uri(client.BaseUri, "api/v1/nodes?watch=true&allowWatchBookmarks=true&resourceVersion="
            + Uri.EscapeDataString(resourceVersion) + "&timeoutSeconds=" + ((int)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (client.Credentials is not null) await client.Credentials.ProcessHttpRequestAsync(request, cancel).ConfigureAwait(false);
        using var response = await client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new NodeWatchException((int)response.StatusCode, response.ReasonPhrase ?? "",
                $"node watch answered HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false)}");
        await using var body = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
        using var reader = new StreamReader(body);
        while (await reader.ReadLineAsync(cancel).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0) continue;
            yield return Parse(line);
        }
    }

    /// <summary>One line of the stream: {"type": ..., "object": ...}; an ERROR's object is a Status, thrown.</summary>
    internal static NodeWatchEvent Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        var type = root.GetProperty("type").GetString();
        var body = root.GetProperty("object");
        if (type == "ERROR")
        {
            var status = KubernetesJson.Deserialize<V1Status>(body);
            throw new NodeWatchException(status.Code ?? 0, status.Reason ?? "", status.Message ?? "the node watch reported an error");
        }
        var node = KubernetesJson.Deserialize<V1Node>(body);
        return type switch
        {
            "ADDED" => new NodeWatchEvent(NodeWatchEventType.Added, node),
            "MODIFIED" => new NodeWatchEvent(NodeWatchEventType.Modified, node),
            "DELETED" => new NodeWatchEvent(NodeWatchEventType.Deleted, node),
            "BOOKMARK" => new NodeWatchEvent(NodeWatchEventType.Bookmark, node),
            _ => throw new JsonException($"unknown watch event type '{type}'"),
        };
    }
}
