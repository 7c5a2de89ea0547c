using System.Globalization;
using DrSentinel.Sandbox;
using Npgsql;

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>The application's view of the seed's databases: one write through each endpoint, true once acknowledged.</summary>
public static class ApplicationWrites
{
    /// <summary>One row through the RDS instance endpoint; false while it cannot be written.</summary>
    public static async Task<bool> ThroughRdsAsync(SandboxServer sandbox, string instance = "pyairtable-primary")
    {
        var port = sandbox.State(r => r.DbInstances[instance].DataPort!.Value);
        try
        {
            await using var db = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=2;Command Timeout=2");
            await db.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS orders (id serial); INSERT INTO orders DEFAULT VALUES", db);
            await command.ExecuteNonQueryAsync();
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
        {
            return false;
        }
    }

    /// <summary>One key through the replication group's primary endpoint; false while it cannot be written.</summary>
    public static async Task<bool> ThroughRedisAsync(SandboxServer sandbox, string group = "pyairtable-redis")
    {
        var port = sandbox.State(r => r.ReplicationGroups[group].PrimaryDataPort!.Value);
        try
        {
            var result = await ExternalProcess.RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "SET", "order:1", "paid"],
                TimeSpan.FromSeconds(3));
            return result.Output.Trim() == "OK";
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
