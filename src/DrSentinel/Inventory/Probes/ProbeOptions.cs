namespace DrSentinel.Inventory.Probes;

/// <summary>Direct probes of the data plane. Bound from the "Probes" configuration section.</summary>
public sealed class ProbeOptions
{
    public const string Section = "Probes";

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    public PostgresProbeOptions Postgres { get; set; } = new();
    public RedisProbeOptions Redis { get; set; } = new();
}

public sealed class PostgresProbeOptions
{
    public bool Enabled { get; set; }
    public string Database { get; set; } = "postgres";
    public string Username { get; set; } = "drsentinel";
    /// <summary>A file holding the password (a mounted Kubernetes secret), read at every probe so rotation needs no restart.</summary>
    public string? PasswordFile { get; set; }
    /// <summary>Refused at start when set: a password belongs in a file, not in settings or the environment.</summary>
    public string? Password { get; set; }
    /// <summary>Npgsql's SSL mode: Disable, Prefer, Require, VerifyCA, VerifyFull. With a password, only the last three (see <see cref="AllowPlaintextPassword"/>).</summary>
    public string SslMode { get; set; } = "Prefer";
    /// <summary>Let a password go with an SSL mode that can fall back to plaintext (Disable, Allow, Prefer): a lab only.</summary>
    public bool AllowPlaintextPassword { get; set; }
    /// <summary>DB instance id to "host:port", replacing the endpoint RDS reports (tests, tunnels).</summary>
    public Dictionary<string, string> Endpoints { get; set; } = [];
}

public sealed class RedisProbeOptions
{
    public bool Enabled { get; set; }
    /// <summary>A file holding the AUTH password, read at every probe.</summary>
    public string? PasswordFile { get; set; }
    /// <summary>Refused at start when set: a password belongs in a file, not in settings or the environment.</summary>
    public string? Password { get; set; }
    /// <summary>In-transit encryption; required with a password unless <see cref="AllowPlaintextPassword"/>.</summary>
    public bool Tls { get; set; }
    /// <summary>Let AUTH go without TLS: a lab only.</summary>
    public bool AllowPlaintextPassword { get; set; }
    /// <summary>Cache cluster id to "host:port", replacing the endpoint ElastiCache reports.</summary>
    public Dictionary<string, string> Endpoints { get; set; } = [];
}

internal static class Endpoint
{
    /// <summary>"host:port" from an override, else the address the control plane reports; null when neither is known.</summary>
    public static (string Host, int Port)? Resolve(IReadOnlyDictionary<string, string> overrides, string id, string? address, int? port)
    {
        if (overrides.TryGetValue(id, out var text))
        {
            var colon = text.LastIndexOf(':');
            return (text[..colon], int.Parse(text[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }
        return address is null || port is null ? null : (address, port.Value);
    }

    public static string? Secret(string? file) => file is null ? null : File.ReadAllText(file).TrimEnd('\r', '\n');
}
