using System.Globalization;
using System.Xml.Linq;

namespace DrSentinel.Clients.Aws;

/// <summary>Reads AWS Query protocol answers: elements are looked up by local name, whatever the service's namespace.</summary>
internal static class QueryXml
{
    public static XElement? Child(this XElement element, string name) => element.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    public static string? Text(this XElement element, string name) => element.Child(name)?.Value;

    public static string RequiredText(this XElement element, string name) =>
        element.Text(name) ?? throw new FormatException($"AWS answer lacks <{name}> in <{element.Name.LocalName}>");

    public static bool Bool(this XElement element, string name) => element.Text(name) is "true";

    public static int Int(this XElement element, string name) =>
        int.TryParse(element.Text(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

    public static DateTimeOffset? Time(this XElement element, string name) =>
        element.Text(name) is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null;

    /// <summary>The items of a list element such as &lt;DBInstances&gt;&lt;DBInstance/&gt;…, whatever the item element is called.</summary>
    public static IEnumerable<XElement> Items(this XElement element, string listName) => element.Child(listName)?.Elements() ?? [];

    public static IReadOnlyList<string> Strings(this XElement element, string listName) => element.Items(listName).Select(e => e.Value).ToList();
}
