using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using DrSentinel.Sandbox.Region;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using static DrSentinel.Sandbox.Kubernetes.KubernetesResponses;

namespace DrSentinel.Sandbox.Kubernetes;

/// <summary>GET /api/v1/nodes?watch=true: a chunked stream of watch events, one JSON object a line.</summary>
internal static class NodeWatch
{
    public static async Task ServeAsync(HttpContext c, SandboxRegion region, TimeSpan bookmarkInterval)
    {
        NodeFilter selector;
        long fromVersion;
        try
        {
            selector = NodeFilter.Parse(c.Request.Query["labelSelector"], c.Request.Query["fieldSelector"]);
            fromVersion = KubernetesApi.ParseResourceVersion(c.Request.Query["resourceVersion"]);
        }
        catch (FormatException e)
        {
            await WriteStatusAsync(c, 400, "BadRequest", e.Message);
            return;
        }
        var bookmarks = c.Request.Query["allowWatchBookmarks"] == "true";
        var table = KubernetesApi.WantsTable(c);
        var timeout = int.TryParse(c.Request.Query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(30);

        var (reader, initial, matching, currentVersion) = region.Read(r =>
        {
            r.CountCall("kubernetes", "watch-nodes");
            var subscription = r.Cluster.Subscribe(fromVersion);
            var current = r.Cluster.Nodes.Select(r.Cluster.Snapshot).Where(selector.Matches).OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
            // The nodes the client holds as selected: what the stream must send DELETED for when they stop matching.
            var selected = current.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
            return (subscription, fromVersion == 0 && subscription is not null ? current : [], selected, r.Cluster.ResourceVersion);
        });

        c.Response.StatusCode = 200;
        c.Response.ContentType = "application/json";
        c.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        if (reader is null)
        {
            await WriteEventAsync(c, w => WriteError(w, fromVersion, currentVersion));
            return;
        }
        try
        {
            var first = true;
            foreach (var node in initial)
            {
                await WriteEventAsync(c, w => WriteChange(w, new NodeChange(WatchEventType.Added, node), table, first, region.Now));
                first = false;
            }
            await c.Response.Body.FlushAsync(c.RequestAborted);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted);
            deadline.CancelAfter(timeout);
            await StreamAsync(c, region, reader, selector, matching, table, bookmarks ? bookmarkInterval : Timeout.InfiniteTimeSpan, currentVersion,
                deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // the client went away or timeoutSeconds passed: a watch ends quietly
        }
        finally
        {
            region.Write(r => r.Cluster.Unsubscribe(reader));
        }
    }

    /// <summary>
    /// Sends the changes that concern the selection: a node that starts matching is ADDED, one that stops is DELETED
    /// (with its new state), as the API server does for selector watches.
    /// </summary>
    private static async Task StreamAsync(HttpContext c, SandboxRegion region, ChannelReader<NodeChange> reader, NodeFilter selector,
        HashSet<string> matching, bool table, TimeSpan bookmarkInterval, long lastVersion, CancellationToken cancel)
    {
        while (true)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            if (bookmarkInterval != Timeout.InfiniteTimeSpan) wait.CancelAfter(bookmarkInterval);
            bool more;
            try
            {
                more = await reader.WaitToReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                await WriteEventAsync(c, w => WriteBookmark(w, lastVersion));
                await c.Response.Body.FlushAsync(cancel);
                continue;
            }
            if (!more)
            {
                // the sandbox was told to drop watches: cut the connection the way a restarting API server does
                c.Abort();
                return;
            }
            while (reader.TryRead(out var change))
            {
                lastVersion = change.Node.ResourceVersion;
                var matches = change.Type != WatchEventType.Deleted && selector.Matches(change.Node);
                var held = change.Type == WatchEventType.Deleted ? matching.Remove(change.Node.Name) : matching.Contains(change.Node.Name);
                WatchEventType? type = (held, matches) switch
                {
                    (false, true) => WatchEventType.Added,
                    (true, true) => WatchEventType.Modified,
                    (true, false) => WatchEventType.Deleted,
                    _ => null,
                };
                if (type is null) continue;
                if (type == WatchEventType.Deleted) matching.Remove(change.Node.Name);
                else matching.Add(change.Node.Name);
                var sent = change with { Type = type.Value };
                await WriteEventAsync(c, w => WriteChange(w, sent, table, false, region.Now));
            }
            await c.Response.Body.FlushAsync(cancel);
        }
    }

    private static async Task WriteEventAsync(HttpContext c, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        buffer.WriteByte((byte)'\n');
        await c.Response.Body.WriteAsync(buffer.ToArray(), c.RequestAborted);
    }

    private static void WriteChange(Utf8JsonWriter w, NodeChange change, bool table, bool withColumns, DateTimeOffset now)
    {
        w.WriteStartObject();
        w.WriteString("type", change.Type.ToString().ToUpperInvariant());
        w.WritePropertyName("object");
        if (table) NodeJson.WriteTable(w, [change.Node], change.Node.ResourceVersion, now, withColumns);
        else NodeJson.WriteNode(w, change.Node);
        w.WriteEndObject();
    }

    private static void WriteBookmark(Utf8JsonWriter w, long version)
    {
        w.WriteStartObject();
        w.WriteString("type", "BOOKMARK");
        w.WriteStartObject("object");
        w.WriteString("kind", "Node");
        w.WriteString("apiVersion", "v1");
        w.WriteStartObject("metadata");
        w.WriteString("resourceVersion", version.ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteError(Utf8JsonWriter w, long requested, long current)
    {
        w.WriteStartObject();
        w.WriteString("type", "ERROR");
        w.WritePropertyName("object");
        KubernetesResponses.WriteStatus(w, 410, "Expired", $"too old resource version: {requested} ({current})");
        w.WriteEndObject();
    }
}
