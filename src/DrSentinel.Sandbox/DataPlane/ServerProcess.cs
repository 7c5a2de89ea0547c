using System.Diagnostics;
using System.Text;

namespace DrSentinel.Sandbox.DataPlane;

/// <summary>Runs the Debian server tools the data plane is built from; PostgreSQL refuses root, so under root its tools run as the package's postgres user.</summary>
internal static class ServerProcess
{
    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Runs a program to its end; a non-zero exit is an error that carries what it printed.</summary>
    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, bool asPostgres = false)
    {
        var (file, args) = asPostgres && IsRoot ? ("runuser", (IEnumerable<string>)["-u", "postgres", "--", program, .. arguments]) : (program, arguments);
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in args) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s");
        }
        process.WaitForExit();
        lock (output)
            return process.ExitCode == 0 ? output.ToString()
                : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {output}");
    }

    /// <summary>A long-running server as a child process, its output kept in a log file.</summary>
    public static Process Start(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
