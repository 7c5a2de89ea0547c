using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Xml;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Aws;

/// <summary>AWS STS, API version 2011-06-15: AssumeRoleWithWebIdentity, the call behind IRSA (EKS service-account roles).</summary>
public static partial class StsApi
{
    public static QueryService Service(CredentialStore credentials) => new("sts", "2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/",
        new Dictionary<string, Operation>(StringComparer.Ordinal)
        {
            // The web identity token is the proof: AWS takes this call unsigned.
            ["AssumeRoleWithWebIdentity"] = new((p, r, w) => AssumeRoleWithWebIdentity(p, r, w, credentials), NeedsNoSignature: true),
            ["GetCallerIdentity"] = new((p, r, w) => GetCallerIdentity(p, r, w, credentials)),
        }) { Errors = ModeledErrors.Sts };

    /// <summary>Who signed: the drill user for the static key, the assumed role's session for temporary keys.</summary>
    private static void GetCallerIdentity(QueryParameters p, SandboxRegion region, XmlWriter w, CredentialStore credentials)
    {
        var caller = p.Caller is { } key ? credentials.Find(key) : null;
        w.Element("UserId", caller?.UserId ?? "AIDASANDBOXDRSENTINEL0");
        w.Element("Account", region.Topology.AccountId);
        w.Element("Arn", caller?.Arn ?? $"arn:aws:iam::{region.Topology.AccountId}:user/drsentinel-sandbox");
    }

    [GeneratedRegex(@"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$")]
    private static partial Regex RoleArn();

    private static void AssumeRoleWithWebIdentity(QueryParameters p, SandboxRegion region, XmlWriter w, CredentialStore credentials)
    {
        var role = p.Required("RoleArn");
        var session = p.Required("RoleSessionName");
        var token = p.Required("WebIdentityToken");
        if (!RoleArn().IsMatch(role)) throw AwsFaultException.Validation($"{role} is not a valid role ARN.");
        var duration = p.OptionalInt("DurationSeconds") ?? 3600;
        if (duration is < 900 or > 43200) throw AwsFaultException.Validation("DurationSeconds must be between 900 and 43200.");
        if (token.Split('.').Length != 3) throw new AwsFaultException("InvalidIdentityToken", "The web identity token is not a JWT.");

        var roleName = role[(role.LastIndexOf('/') + 1)..];
        var roleUser = $"AROA{Random(17)}:{session}";
        var sessionArn = $"arn:aws:sts::{region.Topology.AccountId}:assumed-role/{roleName}/{session}";
        var issued = new IssuedCredential("ASIA" + Random(16), Random(40), Convert.ToBase64String(RandomNumberGenerator.GetBytes(96)),
            DateTimeOffset.UtcNow.AddSeconds(duration), sessionArn, roleUser);
        credentials.Add(issued);
        w.Element("SubjectFromWebIdentityToken", "system:serviceaccount:drsentinel:drsentinel");
        w.Element("Audience", "sts.amazonaws.com");
        w.WriteStartElement("AssumedRoleUser");
        w.Element("Arn", sessionArn);
        w.Element("AssumedRoleId", roleUser);
        w.WriteEndElement();
        w.WriteStartElement("Credentials");
        w.Element("AccessKeyId", issued.AccessKeyId);
        w.Element("SecretAccessKey", issued.SecretAccessKey);
        w.Element("SessionToken", issued.SessionToken);
        w.Element("Expiration", issued.Expires!.Value);
        w.WriteEndElement();
        w.Element("Provider", $"oidc.eks.{region.Name}.amazonaws.com/id/SANDBOX");
    }

    private static string Random(int length) => RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", length);
}
