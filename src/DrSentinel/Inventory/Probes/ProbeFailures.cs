using System.Net.Sockets;
using System.Security.Authentication;
using Npgsql;

namespace DrSentinel.Inventory.Probes;

internal static class ProbeFailures
{
    /// <summary>Why a probe failed, from the exception and its causes: a wrong password, a TLS error and a timeout must not look the same.</summary>
    public static ProbeFailure Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException { SqlState: "28P01" or "28000" }:
                case RedisProbeException { IsAuthenticationError: true }:
                    return ProbeFailure.Auth;
                case PostgresException or RedisProbeException:
                    return ProbeFailure.Protocol;
                case AuthenticationException:
                    return ProbeFailure.Tls;
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.ConnectionReset }:
                    return ProbeFailure.Refused;
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData }:
                    return ProbeFailure.Dns;
                case SocketException { SocketErrorCode: SocketError.TimedOut }:
                case TimeoutException or OperationCanceledException:
                    return ProbeFailure.Timeout;
            }
        }
        return ProbeFailure.Other;
    }

    public static string Label(this ProbeFailure failure) => failure.ToString().ToLowerInvariant();
}
