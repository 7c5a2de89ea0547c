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
        LabelSelector selector;
        long fromVersion;
        try
        {
            selector = LabelSelector.Parse(c.Request.Query["labelSelector"]);
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

        var (reader, initial, currentVersion) = region.Read(r =>
        {
            r.CountCall("kubernetes", "watch-nodes");
            var subscription = r.Cluster.Subscribe(fromVersion);
            var existing = fromVersion == 0 && subscription is not null
                ? r.Cluster.Nodes.Select(r.Cluster.Snapshot).OrderBy(n => n.Name, StringComparer.Ordinal).ToList()
                : [];
            return (subscription, existing, r.Cluster.ResourceVersion);
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
            foreach (var node in initial.Where(n => selector.Matches(NodeJson.Labels(n))))
            {
                await WriteEventAsync(c, w => WriteChange(w, new NodeChange(WatchEventType.Added, node), table, first, region.Now));
                first = false;
            }
            await c.Response.Body.FlushAsync(c.RequestAborted);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted);
            deadline.CancelAfter(timeout);
            await StreamAsync(c, region, reader, selector, table, bookmarks ? bookmarkInterval : Timeout.InfiniteTimeSpan, currentVersion, deadline.Token);
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

    private static async Task StreamAsync(HttpContext c, SandboxRegion region, ChannelReader<NodeChange> reader, LabelSelector selector,
        bool table, TimeSpan bookmarkInterval, long lastVersion, CancellationToken cancel)
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
                if (selector.Matches(NodeJson.Labels(change.Node)))
                    await WriteEventAsync(c, w => WriteChange(w, change, table, false, region.Now));
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
