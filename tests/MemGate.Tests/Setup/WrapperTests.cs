using System.Diagnostics;

namespace MemGate.Tests.Setup;

// The ./memgate wrapper, run in a scratch copy of the repository layout with a stand-in build: it rebuilds
// only when a source changed (build outputs under obj/ and bin/ are not sources), and a failed rebuild
// keeps the previous build.
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WrapperTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("memgate-wrapper").FullName;

    public WrapperTests()
    {
        string repository = FindRepository();
        File.Copy(Path.Combine(repository, "memgate"), Path.Combine(_root, "memgate"));
        File.WriteAllText(Path.Combine(_root, "Directory.Build.props"), "<Project />");
        Directory.CreateDirectory(Path.Combine(_root, "src", "MemGate.Cli", "obj"));
        Directory.CreateDirectory(Path.Combine(_root, "src", "MemGate.Cli", "bin", "Release"));
        File.WriteAllText(Path.Combine(_root, "src", "MemGate.Cli", "Program.cs"), "// source");
        Directory.CreateDirectory(Path.Combine(_root, "scripts"));
        Write(Path.Combine(_root, "scripts", "engine.sh"), "#!/bin/sh\necho /nonexistent/libunicorn.so.2\n");
        // A previous build: an executable that says it ran, and its stamp.
        string cli = Path.Combine(_root, ".build", "cli");
        Directory.CreateDirectory(cli);
        Write(Path.Combine(cli, "memgate"), "#!/bin/sh\necho previous build ran\n");
        File.WriteAllText(Path.Combine(cli, ".stamp"), "");
        var past = DateTime.Now.AddMinutes(-10);
        File.SetLastWriteTime(Path.Combine(_root, "src", "MemGate.Cli", "Program.cs"), past.AddMinutes(-1));
        File.SetLastWriteTime(Path.Combine(_root, "Directory.Build.props"), past.AddMinutes(-1));
        File.SetLastWriteTime(Path.Combine(cli, ".stamp"), past);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Build_outputs_newer_than_the_build_do_not_cause_a_rebuild()
    {
        // What dotnet build, dotnet test or dotnet pack leave behind.
        File.WriteAllText(Path.Combine(_root, "src", "MemGate.Cli", "obj", "project.assets.json"), "{}");
        File.WriteAllText(Path.Combine(_root, "src", "MemGate.Cli", "bin", "Release", "MemGate.Cli.deps.json"), "{}");
        var (exit, output, error) = Wrapper();
        Assert.Equal(0, exit);
        Assert.Equal("previous build ran\n", output);
        Assert.DoesNotContain("building", error);
    }

    [Fact]
    public void A_changed_source_rebuilds_and_a_failed_rebuild_keeps_the_previous_build()
    {
        File.WriteAllText(Path.Combine(_root, "src", "MemGate.Cli", "Program.cs"), "// changed");
        var (exit, _, error) = Wrapper();
        Assert.Contains("building the CLI", error);   // it tried: the scratch copy has no project, so the publish fails
        Assert.Equal(2, exit);
        Assert.True(File.Exists(Path.Combine(_root, ".build", "cli", "memgate")));   // the old build is still there
        Assert.Empty(Directory.GetDirectories(Path.Combine(_root, ".build"), "cli.next*"));   // no half-built folder left
    }

    private (int Exit, string Output, string Error) Wrapper()
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(_root, "memgate"), "list"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment.Remove("MEMGATE_UNICORN");
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "the wrapper did not finish");
        return (process.ExitCode, output, error);
    }

    private static void Write(string path, string text)
    {
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "memgate")) && File.Exists(Path.Combine(directory.FullName, "MemGate.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("The repository root (with ./memgate) was not found above the test's folder.");
    }
}
