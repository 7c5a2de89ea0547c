using System.Xml;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Aws;

/// <summary>Writes one operation's result elements; runs under the region lock.</summary>
public delegate void OperationHandler(QueryParameters parameters, SandboxRegion region, XmlWriter result);

/// <summary>An operation; <paramref name="NeedsNoSignature"/> ones (STS web identity) are served without one, as AWS does.</summary>
public sealed record Operation(OperationHandler Handler, bool HasResult = true, bool NeedsNoSignature = false);

/// <summary>One AWS service as the sandbox serves it: its signing name, API version, XML namespace and operations.</summary>
public sealed record QueryService(string SigningName, string Version, string XmlNamespace, IReadOnlyDictionary<string, Operation> Operations)
{
    /// <summary>EC2 speaks a dialect of the Query protocol: no result wrapper, a requestId element, a different error document.</summary>
    public bool IsEc2Dialect => SigningName == "ec2";

    /// <summary>The error codes this service answers with their own status; see <see cref="ModeledErrors"/>.</summary>
    public IReadOnlyDictionary<string, ErrorShape> Errors { get; init; } = new Dictionary<string, ErrorShape>(StringComparer.Ordinal);

    /// <summary>An error as this service sends it; a code it does not know is an internal failure, as it would be from AWS.</summary>
    public AwsFaultException Fault(string code, string message) => Errors.TryGetValue(code, out var shape)
        ? new AwsFaultException(code, message, shape.HttpStatus, shape.SenderFault)
        : new AwsFaultException(code, message, 500, senderFault: false);
}

internal static class Xml
{
    public static void Element(this XmlWriter writer, string name, string? value)
    {
        if (value is not null) writer.WriteElementString(name, value);
    }

    public static void Element(this XmlWriter writer, string name, bool value) => writer.WriteElementString(name, value ? "true" : "false");

    public static void Element(this XmlWriter writer, string name, int value) =>
        writer.WriteElementString(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static void Element(this XmlWriter writer, string name, DateTimeOffset value) =>
        writer.WriteElementString(name, value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));

    public static void List<T>(this XmlWriter writer, string name, string memberName, IEnumerable<T> items, Action<XmlWriter, T> writeItem)
    {
        writer.WriteStartElement(name);
        foreach (var item in items)
        {
            writer.WriteStartElement(memberName);
            writeItem(writer, item);
            writer.WriteEndElement();
        }
        writer.WriteEndElement();
    }

    public static void StringList(this XmlWriter writer, string name, string memberName, IEnumerable<string> items) =>
        writer.List(name, memberName, items, (w, s) => w.WriteString(s));

    /// <summary>RDS's and ElastiCache's TagList: Tag members with Key and Value.</summary>
    public static void TagList(this XmlWriter writer, IEnumerable<KeyValuePair<string, string>> tags) =>
        writer.List("TagList", "Tag", tags, (w, tag) =>
        {
            w.WriteElementString("Key", tag.Key);
            w.WriteElementString("Value", tag.Value);
        });
}
