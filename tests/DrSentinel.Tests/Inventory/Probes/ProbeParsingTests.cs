using System.Net.Sockets;
using System.Security.Authentication;
using DrSentinel.Inventory;
using DrSentinel.Inventory.Probes;
using Npgsql;

namespace DrSentinel.Tests.Inventory.Probes;

public sealed class ProbeParsingTests
{
    [Fact]
    public void ParseInfo_ReadsKeyValueLines_SkippingHeadersAndBlankLines()
    {
        const string info = "# Replication\r\nrole:slave\r\nmaster_host:10.0.1.5\r\nmaster_link_status:down\r\n\r\nslave_repl_offset:1234\r\nmaster_replid:ab:cd\r\n";

        var fields = RedisInfoClient.ParseInfo(info);

        Assert.Equal("slave", fields["role"]);
        Assert.Equal("down", fields["master_link_status"]);
        Assert.Equal("1234", fields["slave_repl_offset"]);
        Assert.Equal("ab:cd", fields["master_replid"]); // only the first colon separates
        Assert.Equal(5, fields.Count);
    }

    public static TheoryData<Exception, ProbeFailure> Failures => new()
    {
        { new OperationCanceledException(), ProbeFailure.Timeout },
        { new NpgsqlException("Exception while connecting", new TimeoutException()), ProbeFailure.Timeout },
        { new SocketException((int)SocketError.ConnectionRefused), ProbeFailure.Refused },
        { new NpgsqlException("Failed to connect", new SocketException((int)SocketError.HostNotFound)), ProbeFailure.Dns },
        { new NpgsqlException("TLS", new AuthenticationException("certificate rejected")), ProbeFailure.Tls },
        { new PostgresException("password authentication failed", "FATAL", "FATAL", "28P01"), ProbeFailure.Auth },
        { new PostgresException("database does not exist", "FATAL", "FATAL", "3D000"), ProbeFailure.Protocol },
        { new RedisProbeException("Redis answered WRONGPASS invalid username-password pair", IsAuthenticationError: true), ProbeFailure.Auth },
        { new RedisProbeException("Redis closed the connection"), ProbeFailure.Protocol },
        { new IOException("broken pipe"), ProbeFailure.Other },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Classify_NamesTheReasonFromTheExceptionOrItsCause(Exception exception, ProbeFailure expected) =>
        Assert.Equal(expected, ProbeFailures.Classify(exception));
}
