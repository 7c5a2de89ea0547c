using System.Text;

namespace DrSentinel.Sandbox.Kubernetes;

/// <summary>The opaque continue token of a chunked list: where the next chunk starts (after this name).</summary>
internal static class ContinueToken
{
    private const string Prefix = "after:";

    public static string After(string name) => Convert.ToBase64String(Encoding.UTF8.GetBytes(Prefix + name));

    /// <summary>The name the next chunk starts after, or null for the first chunk; a token the sandbox did not issue is a <see cref="FormatException"/>.</summary>
    public static string? Parse(string? token)
    {
        if (string.IsNullOrEmpty(token)) return null;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith(Prefix, StringComparison.Ordinal) && text.Length > Prefix.Length) return text[Prefix.Length..];
        }
        catch (FormatException)
        {
            // reported below
        }
        throw new FormatException("continue key is not valid: it was not issued by this server");
    }
}
