using System.Diagnostics;
using MemGate.Native;

namespace MemGate.Tests.Emulation;

public sealed class EngineLibraryTests
{
    [Fact]
    public void Versions_decode_as_uc_version_encodes_them()
    {
        Assert.Equal(new Version(2, 1, 4), UnicornLibrary.Decode(0x020104FF));
        Assert.Equal(new Version(2, 0, 1), UnicornLibrary.Decode(0x020001FF));
    }

    [Fact]
    public void The_engine_in_use_is_the_pinned_version()
    {
        Assert.Null(UnicornLibrary.Problem);
        Assert.Equal("2.1.4", UnicornLibrary.RequiredVersion.ToString());
    }

    // ./memgate looks for the cached engine itself (no extra process at start-up): the same folder engine.sh fills.
    [Fact]
    public void The_wrapper_and_the_engine_script_name_the_same_engine_version()
    {
        string root = Docs.ReadmeTests.RepositoryRoot;
        Assert.Contains($"engine_version=\"{UnicornLibrary.RequiredVersion}\"", File.ReadAllText(Path.Combine(root, "scripts", "engine.sh")));
        Assert.Contains($"/memgate}}/unicorn-{UnicornLibrary.RequiredVersion}/libunicorn.so.2", File.ReadAllText(Path.Combine(root, "memgate")));
    }

    // A wrong library is refused before anything runs, naming what was found and what is needed.
    [Theory]
    [InlineData("/nonexistent/libunicorn.so.2", "was not found: /nonexistent/libunicorn.so.2 (MEMGATE_UNICORN) cannot be loaded")]
    [InlineData("libc.so.6", "libc.so.6 (MEMGATE_UNICORN) is not a Unicorn library")]
    public void A_wrong_engine_library_gets_a_clear_error(string library, string expected)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "MemGate.Cli.dll");
        string image = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        var info = new ProcessStartInfo("dotnet", [cli, "run", image, "--device", "STM32F103"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["MEMGATE_UNICORN"] = library;
        using var process = Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(expected, error);
        Assert.Contains("MEMGATE_UNICORN to its path", error);
        Assert.DoesNotContain("   at ", error);   // no stack trace
    }
}
