namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>Where the repository and the tools the tests drive (kubectl, Debian's python3 with boto3) are.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Fidelity(string script) => Path.Combine(Root, "tests", "fidelity", script);

    /// <summary>kubectl 1.33 from scripts/install-deps.sh; DRSENTINEL_TOOLS overrides the folder.</summary>
    public static string Kubectl => Tool("kubectl");

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
