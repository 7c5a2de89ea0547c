using DrSentinel.Sandbox.Aws;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Tests.Sandbox;

public sealed class QueryParametersTests
{
    private static QueryParameters Form(params (string Key, string Value)[] pairs) => new(pairs.ToDictionary(p => p.Key, p => p.Value));

    [Fact]
    public void List_QueryAndEc2Flattening_ReadItemsInOrderUntilTheFirstGap()
    {
        var form = Form(("Names.member.1", "a"), ("Names.member.2", "b"), ("Names.member.4", "d"), ("SubnetId.1", "s1"));

        Assert.Equal(["a", "b"], form.List("Names"));
        Assert.Equal(["s1"], form.List("SubnetId", ""));
    }

    [Fact]
    public void Structures_ReadEachItemsFields()
    {
        var form = Form(("Filters.Filter.1.Name", "engine"), ("Filters.Filter.1.Values.Value.1", "postgres"), ("Filters.Filter.2.Name", "db-instance-id"));

        var filters = form.Structures("Filters", "Filter");

        Assert.Equal(["engine", "db-instance-id"], filters.Select(f => f.Required("Name")));
        Assert.Equal(["postgres"], filters[0].List("Values", "Value"));
    }

    [Fact]
    public void Paginate_WalksEveryItemOnceAcrossPages()
    {
        var items = Enumerable.Range(0, 45).ToList();
        var seen = new List<int>();
        string? marker = null;
        do
        {
            var (page, next) = QueryParameters.Paginate(items, marker, 20);
            seen.AddRange(page);
            marker = next;
        } while (marker is not null);

        Assert.Equal(items, seen);
    }

    [Theory]
    [InlineData("Count", "twelve", "InvalidParameterValue")]
    [InlineData("Missing", null, "MissingParameter")]
    public void BadValues_GiveTheAwsErrorCode(string name, string? value, string code)
    {
        var form = value is null ? Form() : Form((name, value));

        var error = Assert.Throws<AwsFaultException>(() => form.RequiredInt(name));

        Assert.Equal(code, error.Code);
    }
}
