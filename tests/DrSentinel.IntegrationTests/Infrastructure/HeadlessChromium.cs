using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>A page as Debian's chromium renders it: the DOM it built and how wide its content is laid out.</summary>
public sealed record RenderedPage(string Html, double ContentWidth);

/// <summary>
/// Debian's chromium, headless, driven over the DevTools protocol: scripts can be switched off in the page itself
/// (Emulation.setScriptExecutionDisabled; the command-line switches either leave them on or stop --dump-dom too), and the
/// DOM is read without running script. A profile directory of its own: with a shared one a second chromium hands its URL
/// to the first and exits at once.
/// </summary>
public sealed partial class HeadlessChromium : IAsyncDisposable
{
    public const string Path = "/usr/bin/chromium";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly ExternalProcess _process;
    private readonly DirectoryInfo _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private HeadlessChromium(ExternalProcess process, DirectoryInfo profile) => (_process, _profile) = (process, profile);

    public static async Task<HeadlessChromium> StartAsync()
    {
        if (!File.Exists(Path)) throw new InvalidOperationException($"{Path} is not installed: scripts/install-deps.sh installs Debian's chromium");
        var profile = Directory.CreateTempSubdirectory("drsentinel-chromium-");
        var process = ExternalProcess.Start(Path,
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={profile.FullName}", "--remote-debugging-port=0", "about:blank"]);
        var chromium = new HeadlessChromium(process, profile);
        try
        {
            var port = await Poll.UntilAsync(() => Task.FromResult(DevToolsPort().Match(process.Error) is { Success: true } m ? m.Groups[1].Value : null),
                p => p is not null || process.HasExited, Deadline, "chromium's DevTools endpoint");
            if (port is null) throw new InvalidOperationException($"chromium exited: {process.Error}");
            using var http = new HttpClient();
            var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
            var page = targets.First(t => (string?)t!["type"] == "page")!;
            await chromium._socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), CancellationToken.None);
            return chromium;
        }
        catch
        {
            await chromium.DisposeAsync();
            throw;
        }
    }

    /// <summary>Loads <paramref name="url"/> on a phone's screen (390 x 844 CSS pixels), scripts on or off, and reads it back.</summary>
    public async Task<RenderedPage> RenderAsync(Uri url, bool scripts)
    {
        await SendAsync("Page.enable");
        await SendAsync("Emulation.setScriptExecutionDisabled", new JsonObject { ["value"] = !scripts });
        await SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = 390, ["height"] = 844, ["deviceScaleFactor"] = 3, ["mobile"] = true });
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url.ToString() }, waitForEvent: "Page.loadEventFired");
        var document = await SendAsync("DOM.getDocument");
        var html = await SendAsync("DOM.getOuterHTML", new JsonObject { ["nodeId"] = (int)document["root"]!["nodeId"]! });
        var layout = await SendAsync("Page.getLayoutMetrics");
        return new RenderedPage((string)html["outerHTML"]!, (double)layout["cssContentSize"]!["width"]!);
    }

    /// <summary>One command; its result. With <paramref name="waitForEvent"/>, also until that event arrives.</summary>
    private async Task<JsonNode> SendAsync(string method, JsonObject? parameters = null, string? waitForEvent = null)
    {
        var id = ++_nextId;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        using var timeout = new CancellationTokenSource(Deadline);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, timeout.Token);
        JsonNode? result = null;
        var sawEvent = waitForEvent is null;
        while (result is null || !sawEvent)
        {
            var answer = await ReceiveAsync(timeout.Token);
            if ((int?)answer["id"] == id)
                result = answer["error"] is { } error ? throw new InvalidOperationException($"{method}: {error.ToJsonString()}") : answer["result"] ?? new JsonObject();
            else if ((string?)answer["method"] == waitForEvent) sawEvent = true;
        }
        return result;
    }

    private async Task<JsonNode> ReceiveAsync(CancellationToken cancel)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        WebSocketReceiveResult received;
        do
        {
            received = await _socket.ReceiveAsync(chunk, cancel);
            buffer.Write(chunk, 0, received.Count);
        } while (!received.EndOfMessage);
        return JsonNode.Parse(buffer.ToArray()) ?? throw new JsonException("an empty DevTools message");
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        await _process.KillAsync();
        await _process.DisposeAsync();
        _profile.Delete(recursive: true);
    }

    [GeneratedRegex(@"DevTools listening on ws://127\.0\.0\.1:(\d+)/")]
    private static partial Regex DevToolsPort();
}
