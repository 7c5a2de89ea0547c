using System.Diagnostics;
using System.Text;

namespace DrSentinel.IntegrationTests.Infrastructure;

public sealed record ProcessResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>Runs a real program (kubectl, python3, DrSentinel itself) and collects what it prints.</summary>
public sealed class ExternalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    private ExternalProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_error) _error.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output { get { lock (_output) return _output.ToString(); } }
    public string Error { get { lock (_error) return _error.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int Id => _process.Id;

    public static ExternalProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            if (value.Length == 0) info.Environment.Remove(key); // "" means: not set at all
            else info.Environment[key] = value;
        return new ExternalProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}"));
    }

    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, string? input = null)
    {
        await using var process = Start(fileName, arguments, environment);
        if (input is not null) await process._process.StandardInput.WriteAsync(input);
        process._process.StandardInput.Close();
        return await process.WaitAsync(timeout);
    }

    public async Task<ProcessResult> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{_process.StartInfo.FileName} did not finish within {timeout}:\n{Output}\n{Error}");
        }
        _process.WaitForExit(); // drains the asynchronous readers
        return new ProcessResult(_process.ExitCode, Output, Error);
    }

    /// <summary>SIGKILL, as a node that dies or an OOM kill would: no chance to clean up.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            // SIGTERM first: a sandbox or DrSentinel stops its own servers then. Process.Kill(entireProcessTree) SIGSTOPs
            // each process before killing it and can leave one it missed stopped for ever, so it is only the last resort.
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
    }
}
