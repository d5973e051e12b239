using MemGate.Memory;
using MemGate.Snapshots;

namespace MemGate.Tests;

/// <summary>
/// Preconditions a test needs from the machine it runs on. A missing one makes the test report as
/// skipped (with the reason), never as passed.
/// </summary>
public static class Requires
{
    // Probed once: userfaultfd write-protect + PAGEMAP_SCAN (Linux 6.7+, userfaultfd allowed).
    private static readonly Lazy<string?> MissingWriteTracking = new(() =>
    {
        try
        {
            using var memory = GuestMemory.Create([GuestRegion.Ram("probe", 0x1000, 4096)]);
            using var snapshot = GuestSnapshot.Take(memory);
            return null;
        }
        catch (NotSupportedException e)
        {
            // Even where it cannot work, the refusal must name what the kernel lacks.
            Assert.Matches("userfaultfd|PAGEMAP_SCAN|Linux 6.7", e.Message);
            return e.Message;
        }
    });

    /// <summary>Skips unless the kernel can track guest writes (snapshots).</summary>
    public static void WriteTracking() =>
        Skip.If(MissingWriteTracking.Value is not null, $"snapshots unavailable here: {MissingWriteTracking.Value}");

    /// <summary>The full path of a program on PATH; skips the test when it is not installed.</summary>
    public static string Program(string name)
    {
        string? path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name)).FirstOrDefault(File.Exists);
        Skip.If(path is null, $"{name} is not installed (./test.sh installs it)");
        return path!;
    }

    /// <summary>
    /// A path under the real-world firmware folder that sits beside the repository (<c>../shared/realworld</c>:
    /// Fuzzware's example targets); skips the test when that folder is not there.
    /// </summary>
    public static string RealWorld(params string[] parts)
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "test.sh")))
        {
            directory = Path.GetDirectoryName(directory);
        }
        string root = Path.GetFullPath(Path.Combine(directory ?? "/", "..", "shared", "realworld"));
        Skip.IfNot(Directory.Exists(root), $"the real-world firmware folder is not beside the repository ({root})");
        return Path.Combine([root, .. parts]);
    }
}
