using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace DrSentinel.Inventory.Probes;

/// <summary>
/// Asks one Redis server for INFO replication over a fresh connection, in plain RESP: a probe measures whether the
/// endpoint answers from here, so it keeps no pooled, self-healing connection that could hide an outage.
/// </summary>
public static class RedisInfoClient
{
    public static async Task<IReadOnlyDictionary<string, string>> ReadReplicationAsync(string host, int port, string? password, bool tls, CancellationToken cancel)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(host, port, cancel);
        Stream stream = tcp.GetStream();
        if (tls)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, cancel);
            stream = ssl;
        }
        await using (stream)
        {
            var reader = new RespReader(stream);
            if (!string.IsNullOrEmpty(password))
            {
                await SendAsync(stream, cancel, "AUTH", password);
                await reader.ReadReplyAsync(cancel);
            }
            await SendAsync(stream, cancel, "INFO", "replication");
            return ParseInfo(await reader.ReadReplyAsync(cancel));
        }
    }

    /// <summary>INFO's "key:value" lines; section headers and blank lines are skipped, a repeated key keeps its last value.</summary>
    internal static IReadOnlyDictionary<string, string> ParseInfo(string info)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            if (!line.StartsWith('#') && line.Split(':', 2) is [var key, var value]) fields[key] = value;
        return fields;
    }

    private static async Task SendAsync(Stream stream, CancellationToken cancel, params string[] words)
    {
        var command = new StringBuilder($"*{words.Length}\r\n");
        foreach (var word in words) command.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(word)}\r\n{word}\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(command.ToString()), cancel);
        await stream.FlushAsync(cancel);
    }

    /// <summary>Reads simple strings, errors and bulk strings: all INFO and AUTH answer with.</summary>
    private sealed class RespReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public async Task<string> ReadReplyAsync(CancellationToken cancel)
        {
            var header = await ReadLineAsync(cancel);
            switch (header[0])
            {
                case '+':
                    return header[1..];
                case '-':
                    throw new RedisProbeException($"Redis answered {header[1..]}",
                        IsAuthenticationError: header.StartsWith("-NOAUTH", StringComparison.Ordinal) || header.StartsWith("-WRONGPASS", StringComparison.Ordinal)
                            || header.Contains("password", StringComparison.OrdinalIgnoreCase));
                case '$':
                    var length = int.Parse(header.AsSpan(1), CultureInfo.InvariantCulture);
                    if (length < 0) return "";
                    var body = await ReadBytesAsync(length + 2, cancel);
                    return Encoding.UTF8.GetString(body, 0, length);
                default:
                    throw new RedisProbeException($"unexpected Redis reply '{header}'");
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken cancel)
        {
            var line = new StringBuilder();
            while (true)
            {
                if (_start == _end) await FillAsync(cancel);
                var c = (char)_buffer[_start++];
                if (c == '\n') return line.ToString().TrimEnd('\r');
                line.Append(c);
            }
        }

        private async Task<byte[]> ReadBytesAsync(int count, CancellationToken cancel)
        {
            var result = new byte[count];
            var filled = 0;
            while (filled < count)
            {
                if (_start == _end) await FillAsync(cancel);
                var take = Math.Min(count - filled, _end - _start);
                Array.Copy(_buffer, _start, result, filled, take);
                (_start, filled) = (_start + take, filled + take);
            }
            return result;
        }

        private async Task FillAsync(CancellationToken cancel)
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer, cancel);
            if (_end == 0) throw new RedisProbeException("Redis closed the connection");
        }
    }
}

public sealed class RedisProbeException(string message, bool IsAuthenticationError = false) : Exception(message)
{
    public bool IsAuthenticationError { get; } = IsAuthenticationError;
}
