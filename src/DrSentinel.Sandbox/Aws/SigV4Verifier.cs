using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace DrSentinel.Sandbox.Aws;

public sealed record SignedIdentity(string AccessKeyId, string Service, string Region);

/// <summary>
/// Checks an AWS Signature Version 4 Authorization header the way AWS does: rebuilds the canonical request from what
/// arrived on the wire and compares signatures. Written from the published algorithm, independently of any client.
/// </summary>
public sealed class SigV4Verifier(CredentialStore credentials, TimeProvider clock)
{
    /// <summary>
    /// "In most cases, a request must reach AWS within five minutes of the time stamp in the request" (IAM user guide,
    /// signing requests). Fifteen minutes is S3's RequestTimeTooSkewed, not these services'.
    /// </summary>
    private static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(5);

    /// <summary>Returns the signer's identity, or throws <see cref="Region.AwsFaultException"/> with AWS's error code.</summary>
    public SignedIdentity Verify(HttpRequest request, byte[] body, string unknownKeyCode, string badSignatureCode)
    {
        var header = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
            throw new Region.AwsFaultException("MissingAuthenticationToken", "Request is missing Authentication Token", 403);
        const string scheme = "AWS4-HMAC-SHA256 ";
        if (!header.StartsWith(scheme, StringComparison.Ordinal))
            throw new Region.AwsFaultException("IncompleteSignature", "Authorization header requires the AWS4-HMAC-SHA256 scheme.", 403);
        var pairs = header[scheme.Length..].Split(',', StringSplitOptions.TrimEntries).Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToList();
        if (pairs.GroupBy(p => p[0], StringComparer.Ordinal).Any(g => g.Count() > 1))
            throw new Region.AwsFaultException("IncompleteSignature", "Authorization header names a component more than once.", 403);
        var parts = pairs.ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!parts.TryGetValue("Credential", out var credential) || !parts.TryGetValue("SignedHeaders", out var signedHeaders)
            || !parts.TryGetValue("Signature", out var signature))
            throw new Region.AwsFaultException("IncompleteSignature", "Authorization header requires Credential, SignedHeaders and Signature.", 403);
        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
            throw new Region.AwsFaultException("IncompleteSignature", $"Credential {credential} is not of the form key/date/region/service/aws4_request.", 403);
        var (accessKey, date, region, service) = (scope[0], scope[1], scope[2], scope[3]);
        if (credentials.Find(accessKey) is not { } known)
            throw new Region.AwsFaultException(unknownKeyCode, "The security token included in the request is invalid.", 403);
        if (known.SessionToken is not null && request.Headers["X-Amz-Security-Token"].ToString() != known.SessionToken)
            throw new Region.AwsFaultException(unknownKeyCode, "The security token included in the request is invalid.", 403);
        if (known.Expires is { } expires && expires <= clock.GetUtcNow())
            throw new Region.AwsFaultException("ExpiredToken", "The security token included in the request is expired", 403);
        var secret = known.SecretAccessKey;

        var amzDate = request.Headers["X-Amz-Date"].ToString();
        if (!DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var signedAt) || !amzDate.StartsWith(date, StringComparison.Ordinal))
            throw new Region.AwsFaultException("IncompleteSignature", "X-Amz-Date is missing or does not match the credential scope date.", 403);
        var now = clock.GetUtcNow();
        if ((now - signedAt).Duration() > AllowedSkew)
        {
            // EC2 says RequestExpired; the Query and JSON services refuse the signature, in the words botocore users see.
            if (badSignatureCode == "AuthFailure") throw new Region.AwsFaultException("RequestExpired", "Request has expired.", 400);
            static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            throw new Region.AwsFaultException(badSignatureCode, signedAt < now
                ? $"Signature expired: {amzDate} is now earlier than {Stamp(now - AllowedSkew)} ({Stamp(now)} - 5 min.)"
                : $"Signature not yet current: {amzDate} is still later than {Stamp(now + AllowedSkew)} ({Stamp(now)} + 5 min.)", 403);
        }

        var canonicalRequest = CanonicalRequest(request, body, signedHeaders);
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{date}/{region}/{service}/aws4_request\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        var expected = Hex(Hmac(key, stringToSign));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
            throw new Region.AwsFaultException(badSignatureCode,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.", 403);
        return new SignedIdentity(accessKey, service, region);
    }

    private static string CanonicalRequest(HttpRequest request, byte[] body, string signedHeaders)
    {
        // The path as it went on the wire, each segment encoded once more: a REST label such as an ARN arrives
        // percent-encoded (%3A, %2F) and is signed double-encoded, as AWS signs every service but S3.
        var rawTarget = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        var path = rawTarget is { Length: > 0 } && rawTarget[0] == '/' ? rawTarget.Split('?', 2)[0]
            : string.IsNullOrEmpty(request.Path.Value) ? "/" : request.Path.Value!;
        var canonicalPath = string.Join('/', path.Split('/').Select(Encode));
        var query = string.Join('&', request.Query
            .SelectMany(q => q.Value.Select(v => (Key: Encode(q.Key), Value: Encode(v ?? ""))))
            .OrderBy(q => q.Key, StringComparer.Ordinal).ThenBy(q => q.Value, StringComparer.Ordinal)
            .Select(q => $"{q.Key}={q.Value}"));
        var headers = new StringBuilder();
        foreach (var name in signedHeaders.Split(';'))
        {
            var value = name == "host" ? request.Host.Value : string.Join(',', request.Headers[name].Select(v => v ?? ""));
            headers.Append(name).Append(':').Append(CollapseSpaces(value ?? "")).Append('\n');
        }
        var payloadHash = request.Headers["X-Amz-Content-SHA256"].ToString();
        if (string.IsNullOrEmpty(payloadHash)) payloadHash = Hex(SHA256.HashData(body));
        return $"{request.Method}\n{canonicalPath}\n{query}\n{headers}\n{signedHeaders}\n{payloadHash}";
    }

    private static string CollapseSpaces(string value) => string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 requires.</summary>
    private static string Encode(string value)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~') builder.Append(c);
            else builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
