using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DrSentinel.Sandbox.DataPlane;

/// <summary>
/// A long-running server of the data plane as a child process, what it prints kept in a log file beside its data. Also
/// runs the Debian server tools it is built from; PostgreSQL refuses root, so under root its tools run as the package's
/// postgres user.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServerProcess(Process process, string logPath)
    {
        (_process, LogPath) = (process, logPath);
        _log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Where what the server printed is kept.</summary>
    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the server printed, for an error that says why it did not start.</summary>
    public string LogTail(int lines = 10)
    {
        lock (_log)
        {
            try
            {
                return string.Join('\n', File.ReadLines(LogPath).TakeLast(lines));
            }
            catch (IOException)
            {
                return "";
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // the server printed as it was being stopped
            }
        }
    }

    /// <summary>Starts a server, as the postgres user when asked and running as root.</summary>
    public static ServerProcess Start(string program, IEnumerable<string> arguments, string logPath, bool asPostgres = false)
    {
        var info = StartInfo(program, arguments, asPostgres);
        return new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}"), logPath);
    }

    /// <summary>
    /// Kills the server and every process under it with SIGKILL at once. Not <c>Process.Kill(entireProcessTree)</c>: it
    /// stops each process (SIGSTOP) before killing it, and a process it stopped and then missed stays stopped for ever.
    /// </summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            foreach (var pid in ProcessTree(_process.Id)) SendKill(pid);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.WaitForExit(); // drains the output readers
        lock (_log) _log.Dispose();
        _process.Dispose();
    }

    /// <summary>Runs a program to its end; a non-zero exit is an error that carries what it printed; cancelling kills it.</summary>
    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancel, bool asPostgres = false)
    {
        using var process = Process.Start(StartInfo(program, arguments, asPostgres)) ?? throw new InvalidOperationException($"could not start {program}");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            foreach (var pid in ProcessTree(process.Id)) SendKill(pid);
            await process.WaitForExitAsync(CancellationToken.None);
            cancel.ThrowIfCancellationRequested();
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s");
        }
        process.WaitForExit();
        lock (output)
            return process.ExitCode == 0 ? output.ToString()
                : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {output}");
    }

    private static ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments, bool asPostgres)
    {
        var (file, args) = asPostgres && IsRoot ? ("runuser", (IEnumerable<string>)["-u", "postgres", "--", program, .. arguments]) : (program, arguments);
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in args) info.ArgumentList.Add(argument);
        return info;
    }

    /// <summary>The process and all its descendants, read from /proc (PostgreSQL's children are session leaders of their own, so no process group holds them all).</summary>
    private static List<int> ProcessTree(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
            {
                // exited while we looked
            }
        }
        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
            if (children.TryGetValue(tree[i], out var under)) tree.AddRange(under);
        return tree;
    }

    private static void SendKill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(); // SIGKILL, which also ends a stopped process
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // already gone
        }
    }

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A loopback port for a server, below the kernel's ephemeral range: a port taken from that range and released could be
    /// handed to the next listener on port 0 (a proxy of this very region) before the server binds it.
    /// </summary>
    public static int FreeServerPort()
    {
        var ephemeralLow = ReadEphemeralLow();
        var low = Math.Max(1024, ephemeralLow - 12_000);
        lock (HandedOut)
        {
            for (var attempt = 0; attempt < 1_000; attempt++)
            {
                var port = Random.Shared.Next(low, ephemeralLow);
                if (HandedOut.Contains(port)) continue;
                try
                {
                    using var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                }
                catch (SocketException)
                {
                    continue;
                }
                HandedOut.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException($"no free loopback port in {low}-{ephemeralLow - 1}");
    }

    private static int ReadEphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return 32768; // Linux's default
        }
    }
}
