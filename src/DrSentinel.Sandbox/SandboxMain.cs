using System.Globalization;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox;

/// <summary>
/// The sandbox region on its own, for drills and benchmarks:
/// <c>dotnet run --project src/DrSentinel.Sandbox -- [--port N] [--speed X] [--topology FILE]</c>.
/// </summary>
internal static class SandboxMain
{
    private static async Task<int> Main(string[] args)
    {
        SandboxOptions options;
        try
        {
            options = Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or IOException)
        {
            await Console.Error.WriteLineAsync($"drsentinel-sandbox: {e.Message}\nusage: DrSentinel.Sandbox [--port N] [--speed X] [--topology FILE]");
            return 2;
        }
        await using var sandbox = await SandboxServer.StartAsync(options);
        var nodes = sandbox.Region.Read(r => r.Cluster.Nodes.Count);
        Console.WriteLine($"Sandbox region {sandbox.Region.Name} ({nodes} nodes) serves AWS, Kubernetes and /sandbox/state at {sandbox.Endpoint}; speed x{options.Speed}");
        var stop = new TaskCompletionSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.TrySetResult();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
        await stop.Task;
        return 0;
    }

    private static SandboxOptions Parse(string[] args)
    {
        var options = new SandboxOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--port" => options with { Port = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--speed" => options with { Speed = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--topology" => options with { Topology = Topology.Load(Value()) },
                var other => throw new ArgumentException($"unknown option {other}"),
            };
        }
        return options;
    }
}
