using System.Xml.Linq;
using DrSentinel.Clients.Aws;

namespace DrSentinel.Tests.Aws;

public sealed class QueryXmlTests
{
    private static readonly XElement Answer = XElement.Parse("""
        <DescribeDBInstancesResult xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
          <DBInstances>
            <DBInstance><DBInstanceIdentifier>db-1</DBInstanceIdentifier><MultiAZ>true</MultiAZ><AllocatedStorage>100</AllocatedStorage>
              <ReadReplicaDBInstanceIdentifiers><ReadReplicaDBInstanceIdentifier>db-2</ReadReplicaDBInstanceIdentifier></ReadReplicaDBInstanceIdentifiers>
              <InstanceCreateTime>2026-11-25T03:00:00Z</InstanceCreateTime></DBInstance>
            <DBInstance><DBInstanceIdentifier>db-2</DBInstanceIdentifier></DBInstance>
          </DBInstances>
        </DescribeDBInstancesResult>
        """);

    [Fact]
    public void Lookups_MatchLocalNamesWhateverTheNamespace()
    {
        var first = Answer.Items("DBInstances").First();

        Assert.Equal(["db-1", "db-2"], Answer.Items("DBInstances").Select(i => i.RequiredText("DBInstanceIdentifier")));
        Assert.True(first.Bool("MultiAZ"));
        Assert.Equal(100, first.Int("AllocatedStorage"));
        Assert.Equal(["db-2"], first.Strings("ReadReplicaDBInstanceIdentifiers"));
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero), first.Time("InstanceCreateTime"));
    }

    [Fact]
    public void MissingElements_ReadAsAbsent_AndARequiredOneNamesItself()
    {
        var second = Answer.Items("DBInstances").Last();

        Assert.False(second.Bool("MultiAZ"));
        Assert.Null(second.Text("Endpoint"));
        Assert.Empty(second.Items("ReadReplicaDBInstanceIdentifiers"));
        Assert.Contains("<Engine>", Assert.Throws<FormatException>(() => second.RequiredText("Engine")).Message, StringComparison.Ordinal);
    }
}
