using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Aws;

/// <summary>The tagging parameters RDS and ElastiCache share: their models name the list members alike.</summary>
internal static class TagParameters
{
    /// <summary>Tags.Tag.N.Key and Tags.Tag.N.Value; a tag without a value gets the empty one.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Tags(QueryParameters p)
    {
        var tags = p.Structures("Tags", "Tag").Select(t => KeyValuePair.Create(t.Required("Key"), t.Optional("Value") ?? "")).ToList();
        return tags.Count > 0 ? tags : throw AwsFaultException.MissingParameter("Tags");
    }

    /// <summary>TagKeys.member.N.</summary>
    public static IReadOnlyList<string> TagKeys(QueryParameters p)
    {
        var keys = p.List("TagKeys");
        return keys.Count > 0 ? keys : throw AwsFaultException.MissingParameter("TagKeys");
    }
}
