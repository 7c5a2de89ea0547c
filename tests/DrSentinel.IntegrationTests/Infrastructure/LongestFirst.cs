using DrSentinel.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCollectionOrderer("DrSentinel.IntegrationTests.Infrastructure.LongestFirst", "DrSentinel.IntegrationTests")]

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>
/// A test class that waits for the wall clock (a rule's real <c>for:</c>, a drill at region speed 100): about how long it
/// takes on a two-core machine (tests/README.md). The longest start first, so the suite lasts about as long as its
/// longest class rather than the sum of the ones that happened to start last.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class LongRunningAttribute(int seconds) : Attribute
{
    public int Seconds { get; } = seconds;
}

/// <summary>
/// A test class that runs the Native AOT executable, which scripts/test.sh publishes beside the tests: started last, so
/// it rarely waits for the publish (<see cref="RepoPaths.AotExecutable"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class NeedsAotExecutableAttribute : Attribute;

/// <summary>
/// Starts the test classes (each its own collection) longest first and those that need the Native AOT executable last.
/// With xunit's conservative algorithm at most maxParallelThreads tests run at once (xunit.runner.json), and a waiting
/// class takes its slot in the order given here.
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    private const string PerClassPrefix = "Test collection for ";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.Select(c => (Collection: c, Class: ClassOf(c)))
            .OrderBy(c => c.Class?.IsDefined(typeof(NeedsAotExecutableAttribute), inherit: false) == true ? 1 : 0)
            .ThenByDescending(c => (c.Class?.GetCustomAttributes(typeof(LongRunningAttribute), inherit: false).SingleOrDefault() as LongRunningAttribute)?.Seconds ?? 0)
            .ThenBy(c => c.Collection.DisplayName, StringComparer.Ordinal)
            .Select(c => c.Collection);

    /// <summary>xunit gives each class its own collection, named after the class.</summary>
    private static Type? ClassOf(ITestCollection collection) =>
        collection.DisplayName.StartsWith(PerClassPrefix, StringComparison.Ordinal)
            ? typeof(LongestFirst).Assembly.GetType(collection.DisplayName[PerClassPrefix.Length..])
            : null;
}
