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
    private readonly byte[]? _operator;
    private readonly bool _open;

    public WebhookAuthenticator(IOptions<ReceiverOptions> options)
    {
        var o = options.Value;
        if (o.BearerTokenFile is { } tokenFile) _expected = Encoding.UTF8.GetBytes("Bearer " + ReadSecret(tokenFile, "Receiver:BearerTokenFile"));
        else if (o.BasicAuthUsername is { } user && o.BasicAuthPasswordFile is { } passwordFile)
            _expected = Encoding.UTF8.GetBytes("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{ReadSecret(passwordFile, "Receiver:BasicAuthPasswordFile")}")));
        Scheme = o.BearerTokenFile is not null ? "Bearer" : _expected is not null ? "Basic" : null;
        _open = _expected is null;
        if (o.OperatorTokenFile is { } operatorFile)
        {
            _operator = Encoding.UTF8.GetBytes("Bearer " + ReadSecret(operatorFile, "Receiver:OperatorTokenFile"));
            if (_expected is not null && _operator.AsSpan().SequenceEqual(_expected))
                throw new StartupConfigurationException("Receiver:OperatorTokenFile holds Alertmanager's credential: the operators' token must be their own");
        }
    }

    /// <summary>
    /// Accepts the operators' credential for the preview and the kill switch: their own token, never Alertmanager's.
    /// Without one configured only an unauthenticated loopback run is open; otherwise nobody is.
    /// </summary>
    public bool AcceptsOperator(HttpContext context)
    {
        if (_operator is null ? _open : Matches(context.Request.Headers.Authorization, _operator)) return true;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"drsentinel-operator\"";
        return false;
    }

    private static bool Matches(string? authorization, byte[] expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(authorization ?? "")), SHA256.HashData(expected));

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
        // Hashes of equal length, so not even the credential's length leaks through the comparison's time.
        return _expected is null || Matches(authorization, _expected);
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
