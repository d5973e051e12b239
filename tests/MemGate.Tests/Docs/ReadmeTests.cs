using System.Text.RegularExpressions;
using MemGate.Examples;
using MemGate.Tests.Cli;

namespace MemGate.Tests.Docs;

/// <summary>Keeps README.md honest: its code blocks are the example sources, and its commands run.</summary>
public sealed partial class ReadmeTests
{
    private static readonly string Root = FindRoot();

    /// <summary>The repository root (where MemGate.slnx is).</summary>
    public static string RepositoryRoot => Root;
    private static readonly string Readme = File.ReadAllText(Path.Combine(Root, "README.md"));

    [Fact]
    public void Every_snippet_matches_its_example_source()
    {
        var snippets = SnippetBlock().Matches(Readme);
        Assert.True(snippets.Count >= 2, "README.md lost its snippet blocks");
        var sources = Directory.EnumerateFiles(Path.Combine(Root, "examples"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(File.ReadAllText)
            .ToList();
        foreach (Match snippet in snippets)
        {
            string name = snippet.Groups["name"].Value;
            var source = sources.Select(s => SourceRegion(s, name)).SingleOrDefault(r => r is not null);
            Assert.True(source is not null, $"no example file has a '// begin-snippet: {name}' region");
            Assert.Equal(source, Normalize(snippet.Groups["code"].Value));
        }
    }

    [Fact]
    public void Every_memgate_command_in_the_readme_runs()
    {
        var commands = Readme.Split('\n').Where(l => l.StartsWith("./memgate ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(commands);
        string scratch = Directory.CreateTempSubdirectory("memgate-readme").FullName;
        foreach (string command in commands)
        {
            string[] args = command["./memgate ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // Paths in the README are relative to the repository root; outputs go to a scratch directory.
            for (int i = 0; i < args.Length; i++)
            {
                if (i > 0 && args[i - 1] is "--svg" or "-o" or "--output")
                {
                    args[i] = Path.Combine(scratch, Path.GetFileName(args[i]));
                }
                else if (File.Exists(Path.Combine(Root, args[i])))
                {
                    args[i] = Path.Combine(Root, args[i]);
                }
            }
            var (exit, _, err) = CliRunner.Run(args);
            Assert.True(exit == 0, $"'{command}' exited {exit}: {err}");
        }
        Directory.Delete(scratch, recursive: true);
    }

    [Fact]
    public void Every_device_file_example_in_the_readme_loads()
    {
        var blocks = Regex.Matches(Readme, "```(toml|yaml|json)\n(.*?)```", RegexOptions.Singleline);
        Assert.True(blocks.Count >= 3, "README.md should show a device in TOML, YAML and JSON");
        foreach (Match block in blocks)
        {
            var format = Enum.Parse<MemGate.Devices.Config.DeviceConfigFormat>(block.Groups[1].Value, ignoreCase: true);
            var device = MemGate.Devices.Config.DeviceConfigReader.Parse(block.Groups[2].Value, format, $"README ({format})");
            Assert.NotEmpty(device.Regions);
        }
    }

    [Fact]
    public void The_ranges_example_prints_what_the_readme_describes()
    {
        var output = new StringWriter();
        RangesExample.Run(output);
        Assert.Equal(
            """
            protect 0x13000 +0x1000 (was 3)
            replaced 0x11000 +0x1000 (was 5)
            heap page at 0x13000: protection 1
            unmapped 0x11000 +0x1000
            unmapped 0x13000 +0x1000
            unmapped 0x14000 +0xF000
            2 mappings, 2 gap(s)
            """, output.ToString().TrimEnd().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void The_devices_example_runs_the_seed_example()
    {
        var output = new StringWriter();
        DevicesExample.Run(output);
        string text = output.ToString();
        Assert.Contains("Read: \"Hello IoT!\"", text);
        Assert.Matches(@"Guest 0x20000000 → Host 0x[0-9a-f]+", text);
        Assert.Contains("through the bit-band alias: 1", text);
        Assert.Contains("0x00001000 - 0x00001FFF  RAM", text);
    }

    [Fact]
    public void The_firmware_example_runs_the_rv32_hello_and_reads_its_variable()
    {
        var output = new StringWriter();
        FirmwareExample.Run(Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "riscv-virt", "hello-rv32.elf"), output);
        string text = output.ToString().ReplaceLineEndings("\n");
        Assert.StartsWith("Hello from RV32 virt!\nticks: 3\nexit, code 0, ", text);
        Assert.EndsWith("ticks = 3\n", text);
    }

    [Fact]
    public void The_peripherals_example_prints_what_the_readme_says()
    {
        var output = new StringWriter();
        PeripheralsExample.Run(output);
        string text = output.ToString().ReplaceLineEndings("\n");
        Assert.StartsWith("hi\nISR = 0b100\n7 MMIO accesses traced; the first:\n", text);
        Assert.Contains("{\"seq\":1,\"pc\":null,\"address\":1073741832,\"addressHex\":\"0x40000008\",\"size\":4,\"value\":1,\"access\":\"write\",\"region\":\"UART0\",\"peripheral\":\"UART0\",\"register\":\"CR\"}", text);
    }

    private static string? SourceRegion(string source, string name)
    {
        var match = Regex.Match(source, $@"// begin-snippet: {Regex.Escape(name)}\r?\n(?<code>.*?)\n[ \t]*// end-snippet", RegexOptions.Singleline);
        return match.Success ? Normalize(match.Groups["code"].Value) : null;
    }

    private static string Normalize(string code) => code.ReplaceLineEndings("\n").TrimEnd();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MemGate.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("The repository root (MemGate.slnx) is not above the test binaries.");
    }

    [GeneratedRegex(@"<!-- snippet: (?<name>[\w-]+) -->\r?\n```csharp\r?\n(?<code>.*?)\r?\n```\r?\n<!-- end-snippet -->", RegexOptions.Singleline)]
    private static partial Regex SnippetBlock();
}
