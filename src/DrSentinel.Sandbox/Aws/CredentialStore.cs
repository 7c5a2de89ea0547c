using System.Collections.Concurrent;

namespace DrSentinel.Sandbox.Aws;

/// <summary>A key pair the sandbox accepts; temporary ones (from STS) also carry a session token and an expiry.</summary>
/// <param name="Arn">Who the key belongs to, as GetCallerIdentity tells it; null: the sandbox's drill user.</param>
public sealed record IssuedCredential(string AccessKeyId, string SecretAccessKey, string? SessionToken = null, DateTimeOffset? Expires = null,
    string? Arn = null, string? UserId = null);

/// <summary>The access keys the sandbox knows: the static drill key, and whatever its STS has handed out.</summary>
public sealed class CredentialStore
{
    private readonly ConcurrentDictionary<string, IssuedCredential> _byAccessKey = new(StringComparer.Ordinal);

    public void Add(IssuedCredential credential) => _byAccessKey[credential.AccessKeyId] = credential;

    public IssuedCredential? Find(string accessKeyId) => _byAccessKey.GetValueOrDefault(accessKeyId);
}
