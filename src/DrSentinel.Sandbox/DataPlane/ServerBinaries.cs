namespace DrSentinel.Sandbox.DataPlane;

/// <summary>Where Debian's PostgreSQL and Redis servers are on this machine; either may be missing.</summary>
public sealed record ServerBinaries(string? PostgresBin, string? RedisServer)
{
    public const string InstallHint = "apt-get install postgresql redis-server";

    public bool Complete => PostgresBin is not null && RedisServer is not null;

    public static ServerBinaries Find()
    {
        // Debian keeps each PostgreSQL major version's tools in /usr/lib/postgresql/<version>/bin; take the newest.
        var postgres = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "postgres")))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var v) ? v : 0).FirstOrDefault()
            : null;
        var redis = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':')
            .Select(dir => Path.Combine(dir, "redis-server")).FirstOrDefault(File.Exists);
        return new ServerBinaries(postgres, redis);
    }
}
