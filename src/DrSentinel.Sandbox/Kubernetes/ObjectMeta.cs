using System.Text.RegularExpressions;

namespace DrSentinel.Sandbox.Kubernetes;

/// <summary>The API server's rules for label and annotation keys and label values (apimachinery's validation).</summary>
internal static partial class ObjectMeta
{
    [GeneratedRegex("^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")]
    private static partial Regex Name();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    /// <summary>Why <paramref name="key"/> is not a qualified name ([prefix/]name), or null when it is.</summary>
    public static string? KeyProblem(string key)
    {
        var slash = key.LastIndexOf('/');
        var (prefix, name) = slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
        if (prefix is not null && (prefix.Length is 0 or > 253 || !DnsSubdomain().IsMatch(prefix)))
            return "prefix part must be a lowercase DNS subdomain of at most 253 characters";
        if (name.Length is 0 or > 63 || !Name().IsMatch(name))
            return "name part must be 1 to 63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
        return null;
    }

    /// <summary>Why <paramref name="value"/> is not a label value, or null when it is.</summary>
    public static string? LabelValueProblem(string value) =>
        value.Length == 0 || (value.Length <= 63 && Name().IsMatch(value))
            ? null
            : "must be at most 63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
}
