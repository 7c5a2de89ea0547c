using System.Net;

namespace DrSentinel.Alerting;

/// <summary>Where the host will listen, as its configuration says, judged before anything is bound.</summary>
public static class ListenAddresses
{
    /// <summary>
    /// The addresses that are not loopback: from <c>urls</c> (<c>--urls</c>, ASPNETCORE_URLS), Kestrel's endpoints, and
    /// <c>http_ports</c>/<c>https_ports</c> (which bind every interface). None configured means ASP.NET Core's localhost default.
    /// </summary>
    public static IReadOnlyList<string> NotLoopback(IConfiguration configuration)
    {
        List<string> urls = [.. (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        urls.AddRange(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        List<string> open = [.. urls.Where(u => !IsLoopback(u))];
        foreach (var key in new[] { "http_ports", "https_ports" })
            if (urls.Count == 0 && !string.IsNullOrWhiteSpace(configuration[key])) open.Add($"{key}={configuration[key]} (every interface)");
        return open;
    }

    private static bool IsLoopback(string url)
    {
        try
        {
            var host = Microsoft.AspNetCore.Http.BindingAddress.Parse(url).Host;
            return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                   || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
