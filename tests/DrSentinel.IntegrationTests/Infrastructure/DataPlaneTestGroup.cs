namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>
/// The test classes that start the sandbox's real PostgreSQL and Redis servers run one at a time: started side by side
/// on a 2-core machine, initdb and pg_basebackup of several regions at once can outlast the data plane's start deadline.
/// </summary>
public static class DataPlaneTestGroup
{
    public const string Name = "sandbox data plane";
}
