using System.Net;
using System.Text;

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>One span as DrSentinel exported it over OTLP.</summary>
public sealed record ReceivedSpan(string TraceId, string SpanId, string? ParentSpanId, string Name);

/// <summary>
/// An OTLP/HTTP trace endpoint (POST /v1/traces, protobuf) that keeps the spans it receives. No OpenTelemetry Collector
/// can be had on these machines (no Debian package, no container engine), so the test reads the wire format itself:
/// ExportTraceServiceRequest → resource_spans(1) → scope_spans(2) → spans(2) → trace_id(1), span_id(2), parent_span_id(4), name(5).
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<ReceivedSpan> _spans = [];
    private readonly Task _loop;

    public OtlpTraceReceiver()
    {
        var port = FreePort.Next();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri Endpoint { get; }

    public IReadOnlyList<ReceivedSpan> Spans
    {
        get { lock (_spans) return [.. _spans]; }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var spans = context.Request.Url?.AbsolutePath == "/v1/traces" ? Decode(body.ToArray()) : [];
            lock (_spans) _spans.AddRange(spans);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    private static List<ReceivedSpan> Decode(byte[] request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1))
        foreach (var scopeSpans in Fields(resourceSpans.Bytes).Where(f => f.Number == 2))
        foreach (var span in Fields(scopeSpans.Bytes).Where(f => f.Number == 2))
        {
            var fields = Fields(span.Bytes).ToList();
            byte[]? Field(int number) => fields.FirstOrDefault(f => f.Number == number).Bytes;
            var parent = Field(4);
            spans.Add(new ReceivedSpan(Convert.ToHexStringLower(Field(1) ?? []), Convert.ToHexStringLower(Field(2) ?? []),
                parent is { Length: > 0 } ? Convert.ToHexStringLower(parent) : null, Encoding.UTF8.GetString(Field(5) ?? [])));
        }
        return spans;
    }

    /// <summary>The length-delimited fields of a protobuf message (other wire types skipped).</summary>
    private static IEnumerable<(int Number, byte[] Bytes)> Fields(byte[] message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = Varint(message, ref position);
            var (number, wireType) = ((int)(key >> 3), (int)(key & 7));
            switch (wireType)
            {
                case 0: Varint(message, ref position); break;
                case 1: position += 8; break;
                case 5: position += 4; break;
                case 2:
                    var length = (int)Varint(message, ref position);
                    yield return (number, message[position..(position + length)]);
                    position += length;
                    break;
                default: throw new InvalidDataException($"wire type {wireType} in an OTLP request");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
