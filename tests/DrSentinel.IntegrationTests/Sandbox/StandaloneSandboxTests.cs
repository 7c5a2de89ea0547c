using System.Globalization;
using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Sandbox;

/// <summary>The sandbox run on its own (`dotnet run --project src/DrSentinel.Sandbox`), as drills and the benchmark run it.</summary>
public sealed class StandaloneSandboxTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Signal_StopsTheSandboxCleanlyWithinAFewSeconds(string signal)
    {
        var port = FreePort.Next();
        // As from a terminal: a test runner started as a background job hands its children SIGINT ignored, which a process
        // cannot take back; coreutils' env restores the default disposition before the sandbox starts.
        await using var sandbox = ExternalProcess.Start("env", ["--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "DrSentinel.Sandbox.dll"), "--port",
            port.ToString(CultureInfo.InvariantCulture)]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(2) };
        await Poll.UntilAsync(async () =>
        {
            try
            {
                return (await http.GetAsync("sandbox/state")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, up => up, TimeSpan.FromSeconds(30), "sandbox serving");

        (await ExternalProcess.RunAsync("kill", [$"-{signal}", sandbox.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5))).ToString();
        var result = await sandbox.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Sandbox region stopping", result.Output, StringComparison.Ordinal);
    }
}
