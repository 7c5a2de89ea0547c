using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox;

/// <summary>
/// The sandbox region on its own, for drills and benchmarks:
/// <c>dotnet run --project src/DrSentinel.Sandbox -- [--port N] [--speed X] [--topology FILE] [--no-data-plane]</c>.
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
            await Console.Error.WriteLineAsync($"drsentinel-sandbox: {e.Message}\nusage: DrSentinel.Sandbox [--port N] [--speed X] [--topology FILE] [--no-data-plane]");
            return 2;
        }
        using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
        // SIGTERM (kubectl delete, systemd, a benchmark's cleanup) and SIGINT (Ctrl-C) both stop the region cleanly, also
        // while it is still starting: the signal is taken over from the runtime and cancels the start (initdb, server boots).
        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        SandboxServer sandbox;
        try
        {
            sandbox = await SandboxServer.StartAsync(options, loggers, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.WriteLine("Sandbox region stopping (before it had started)");
            return 0;
        }
        await using (sandbox)
        {
            var nodes = sandbox.Region.Read(r => r.Cluster.Nodes.Count);
            Console.WriteLine($"Sandbox region {sandbox.Region.Name} ({nodes} nodes) serves AWS, Kubernetes and /sandbox/state at {sandbox.Endpoint}; speed x{options.Speed}");
            Console.WriteLine(sandbox.DataPlaneStatus);
            await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            Console.WriteLine("Sandbox region stopping");
        }
        return 0;
    }

    private static SandboxOptions Parse(string[] args)
    {
        var options = new SandboxOptions { DataPlane = true };
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--port" => options with { Port = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--speed" => options with { Speed = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--topology" => options with { Topology = Topology.Load(Value()) },
                "--no-data-plane" => options with { DataPlane = false },
                var other => throw new ArgumentException($"unknown option {other}"),
            };
        }
        return options;
    }
}
