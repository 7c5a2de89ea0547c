using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace DrSentinel.Alerting;

/// <summary>
/// Checks the credential Alertmanager's http_config sends: a bearer token or basic auth, each read from a file once at
/// start (a rotated secret means a restart, like any mounted credential the process caches). Comparison is constant-time.
/// </summary>
public sealed class WebhookAuthenticator
{
    private readonly byte[]? _expected;

    public WebhookAuthenticator(IOptions<ReceiverOptions> options)
    {
        var o = options.Value;
        if (o.BearerTokenFile is { } tokenFile) _expected = Encoding.UTF8.GetBytes("Bearer " + ReadSecret(tokenFile, "Receiver:BearerTokenFile"));
        else if (o.BasicAuthUsername is { } user && o.BasicAuthPasswordFile is { } passwordFile)
            _expected = Encoding.UTF8.GetBytes("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{ReadSecret(passwordFile, "Receiver:BasicAuthPasswordFile")}")));
        Scheme = o.BearerTokenFile is not null ? "Bearer" : _expected is not null ? "Basic" : null;
    }

    /// <summary>The scheme a client must use, for WWW-Authenticate; null when unauthenticated requests are allowed.</summary>
    public string? Scheme { get; }

    /// <summary>Accepts the request's credential, or sets WWW-Authenticate for the 401 that follows and says no.</summary>
    public bool Accepts(HttpContext context)
    {
        if (Accepts(context.Request.Headers.Authorization)) return true;
        if (Scheme is { } scheme) context.Response.Headers.WWWAuthenticate = $"{scheme} realm=\"drsentinel\"";
        return false;
    }

    public bool Accepts(string? authorization)
    {
        if (_expected is null) return true;
        // Hashes of equal length, so not even the credential's length leaks through the comparison's time.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(authorization ?? "")), SHA256.HashData(_expected));
    }

    private static string ReadSecret(string path, string key)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupConfigurationException($"{key}: cannot read {path}: {e.Message}");
        }
        return text.Length > 0 ? text : throw new StartupConfigurationException($"{key}: {path} is empty");
    }
}
