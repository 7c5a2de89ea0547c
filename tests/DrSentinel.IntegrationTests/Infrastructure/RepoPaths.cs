namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>Where the repository and the tools the tests drive (kubectl, Debian's python3 with boto3) are.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Fidelity(string script) => Path.Combine(Root, "tests", "fidelity", script);

    /// <summary>kubectl 1.33 from scripts/install-deps.sh; DRSENTINEL_TOOLS overrides the folder.</summary>
    public static string Kubectl => Tool("kubectl");

    /// <summary>helm 4 from scripts/install-deps.sh; DRSENTINEL_TOOLS overrides the folder.</summary>
    public static string Helm => Tool("helm");

    /// <summary>
    /// The chart's offline schema check (tests/DrSentinel.IntegrationTests/Chart/schema-check) from scripts/install-deps.sh:
    /// manifests on standard input, exit 0 when every object is valid for its kind. DRSENTINEL_TOOLS overrides the folder.
    /// </summary>
    public static string SchemaCheck => Tool("schema-check");

    /// <summary>
    /// The independent IAM evaluator (@cloud-copilot/iam-simulate, tests/DrSentinel.IntegrationTests/Aws/iam-check) from
    /// scripts/install-deps.sh: a policy and questions on standard input, one answer each on standard output.
    /// </summary>
    public static string IamCheck => Tool("iam-check");

    /// <summary>
    /// The Native AOT executable scripts/test.sh publishes (DRSENTINEL_AOT_EXECUTABLE overrides it): the production
    /// artifact, tested as a process. scripts/test.sh publishes it beside the tests and names, in
    /// DRSENTINEL_AOT_PUBLISH_EXIT, the file where the publish writes its exit code: until then this waits. Missing or
    /// failed, it is a clear failure rather than a silent skip.
    /// </summary>
    public static async Task<string> AotExecutableAsync()
    {
        if (Environment.GetEnvironmentVariable("DRSENTINEL_AOT_PUBLISH_EXIT") is { Length: > 0 } exitFile)
        {
            var exitCode = await Poll.UntilAsync(() => Task.FromResult(File.Exists(exitFile) ? File.ReadAllText(exitFile).Trim() : ""),
                code => code.Length > 0, AotPublishDeadline, $"the Native AOT publish to finish ({exitFile})");
            if (exitCode != "0")
                throw new InvalidOperationException($"the Native AOT publish failed (exit {exitCode}); its log is beside {exitFile}");
        }
        var path = Environment.GetEnvironmentVariable("DRSENTINEL_AOT_EXECUTABLE") ?? Path.Combine(Root, ".artifacts", "aot", "DrSentinel");
        return File.Exists(path) ? path
            : throw new FileNotFoundException($"the Native AOT executable is missing at {path}: scripts/test.sh publishes it " +
                "(dotnet publish src/DrSentinel -c Release -r linux-x64 -p:PublishAot=true -o .artifacts/aot)", path);
    }

    /// <summary>The publish takes about four minutes on two cores beside the tests; a hung one fails the tests that need it.</summary>
    private static readonly TimeSpan AotPublishDeadline = TimeSpan.FromMinutes(15);

    /// <summary>Debian's interpreter, whose python3-boto3 and python3-botocore are the reference client and models.</summary>
    public const string DebianPython = "/usr/bin/python3";

    private static string Tool(string name)
    {
        var folder = Environment.GetEnvironmentVariable("DRSENTINEL_TOOLS") ?? Path.Combine(Root, ".tools", "bin");
        var path = Path.Combine(folder, name);
        if (!File.Exists(path)) throw new FileNotFoundException($"{name} is missing at {path}: run scripts/install-deps.sh", path);
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DrSentinel.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("DrSentinel.sln not found above " + AppContext.BaseDirectory);
    }
}
