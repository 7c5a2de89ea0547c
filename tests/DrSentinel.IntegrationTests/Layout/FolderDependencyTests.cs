using System.Text.RegularExpressions;
using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Layout;

/// <summary>
/// The sidecar's top-level folders depend on each other one way only (sources → snapshot → verdicts → metrics; alert →
/// playbook → plan → guarded steps → ledger): a folder that names another (a using line, a qualified name) may not be
/// named back, directly or round a longer loop.
/// </summary>
public sealed partial class FolderDependencyTests
{
    private static readonly string Source = Path.Combine(RepoPaths.Root, "src", "DrSentinel");

    [GeneratedRegex(@"[\\/](bin|obj)[\\/]")]
    private static partial Regex BuildOutput();

    /// <summary>Folder → the other top-level folders its files name.</summary>
    private static Dictionary<string, HashSet<string>> Dependencies()
    {
        var folders = Directory.GetDirectories(Source).Select(Path.GetFileName).OfType<string>()
            .Where(f => f is not ("bin" or "obj" or "Properties")).ToList();
        return folders.ToDictionary(f => f, f => Directory.EnumerateFiles(Path.Combine(Source, f), "*.cs", SearchOption.AllDirectories)
            .Where(file => !BuildOutput().IsMatch(file))
            .Select(File.ReadAllText)
            .SelectMany(text => folders.Where(other => other != f && Regex.IsMatch(text, $@"(using DrSentinel\.{other}[.;])|((?<![\w.]){other}\.[A-Z])|(DrSentinel\.{other}\.)")))
            .ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
    }

    [Fact]
    public void NoTwoTopLevelFoldersDependOnEachOther_NorDoesAnyLoop()
    {
        var dependencies = Dependencies();
        Assert.Contains("Actions", dependencies.Keys); // the scan found the sidecar

        foreach (var start in dependencies.Keys)
        {
            // Depth-first from each folder: reaching it again is a loop, named with its path.
            var path = new Stack<string>();
            string? Loop(string folder)
            {
                path.Push(folder);
                foreach (var next in dependencies[folder])
                {
                    if (next == start) return string.Join(" -> ", path.Reverse().Append(start));
                    if (path.Contains(next)) continue;
                    if (Loop(next) is { } found) return found;
                }
                path.Pop();
                return null;
            }
            var loop = Loop(start);
            Assert.True(loop is null, $"folders depend on each other in a loop: {loop}");
        }
    }
}
