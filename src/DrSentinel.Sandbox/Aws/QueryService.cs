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

    public string ThrottlingCode => IsEc2Dialect ? "RequestLimitExceeded" : "Throttling";
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
}
