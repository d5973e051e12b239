using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text.RegularExpressions;
using MemGate.Cli;
using MemGate.Examples;
using MemGate.Tests.Cli;

namespace MemGate.Tests.Docs;

/// <summary>
/// Keeps README.md and docs/*.md honest: every C# block is an example file the test project builds,
/// every command runs, every run transcript matches a real run, and every CLI option is documented.
/// </summary>
public sealed partial class ReadmeTests
{
    private static readonly string Root = FindRoot();

    /// <summary>The repository root (where MemGate.slnx is).</summary>
    public static string RepositoryRoot => Root;
    private static readonly string Readme = File.ReadAllText(Path.Combine(Root, "README.md"));

    /// <summary>README.md and every docs/*.md, by path relative to the root.</summary>
    private static readonly IReadOnlyList<(string Path, string Text)> Documents =
        new[] { "README.md" }
            .Concat(Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md").Select(f => Path.GetRelativePath(Root, f)).Order(StringComparer.Ordinal))
            .Select(p => (p, File.ReadAllText(Path.Combine(Root, p)).ReplaceLineEndings("\n")))
            .ToList();

    // Every ```csharp block must be a `<!-- snippet: NAME -->` block: the file's using lines, a blank
    // line, and its `// begin-snippet: NAME` region, de-indented. The example project is built by this
    // test project, so a block that does not compile fails the build, and a block edited in the README
    // alone fails this test.
    [Fact]
    public void Every_csharp_block_is_an_example_that_the_tests_build()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(Root, "examples"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => File.ReadAllText(f).ReplaceLineEndings("\n"))
            .ToList();
        int checkedBlocks = 0;
        foreach (var (path, text) in Documents)
        {
            foreach (Match block in CsharpBlock().Matches(text))
            {
                int line = text[..block.Index].Count(c => c == '\n') + 1;
                var marker = SnippetMarker().Match(text[..block.Index]);
                Assert.True(marker.Success, $"{path}:{line}: a ```csharp block without '<!-- snippet: NAME -->' right above it is not compiled by any test");
                Assert.True(text[(block.Index + block.Length)..].StartsWith("\n<!-- end-snippet -->", StringComparison.Ordinal),
                    $"{path}:{line}: the ```csharp block must be followed by '<!-- end-snippet -->'");
                string name = marker.Groups["name"].Value;
                var expected = sources.Select(s => Expected(s, name)).Where(r => r is not null).ToList();
                Assert.True(expected.Count == 1, $"{path}:{line}: {expected.Count} example files have a '// begin-snippet: {name}' region (1 expected)");
                Assert.Equal(expected[0], block.Groups["code"].Value.TrimEnd());
                checkedBlocks++;
            }
        }
        Assert.True(checkedBlocks >= 6, $"only {checkedBlocks} C# blocks found in the docs");
    }

    [Fact]
    public void Every_memgate_command_in_the_docs_runs()
    {
        var commands = Documents.SelectMany(d => d.Text.Split('\n')).Where(l => l.StartsWith("./memgate ", StringComparison.Ordinal)).ToList();
        Assert.True(commands.Count >= 10, "the README lost its runnable commands");
        string scratch = Directory.CreateTempSubdirectory("memgate-readme").FullName;
        foreach (string command in commands)
        {
            var (exit, _, err) = CliRunner.Run(Arguments(command["./memgate ".Length..], scratch));
            Assert.True(exit == 0, $"'{command}' exited {exit}: {err}");
        }
        Directory.Delete(scratch, recursive: true);
    }

    // A ```console block holds `$ ./memgate run …` lines, each followed by what the run prints: the
    // firmware's output (exactly) and the summary line, whose instruction count and exit must match a
    // real run (time and MIPS vary).
    [Fact]
    public void Every_run_transcript_in_the_docs_matches_a_real_run()
    {
        int runs = 0;
        foreach (var (path, text) in Documents)
        {
            foreach (Match block in ConsoleBlock().Matches(text))
            {
                var lines = block.Groups["body"].Value.TrimEnd('\n').Split('\n');
                for (int i = 0; i < lines.Length; i++)
                {
                    if (!lines[i].StartsWith("$ ./memgate run ", StringComparison.Ordinal))
                    {
                        continue;
                    }
                    var expected = lines.Skip(i + 1).TakeWhile(l => !l.StartsWith("$ ", StringComparison.Ordinal)).ToList();
                    string summary = expected.Single(l => l.StartsWith("memgate run: ", StringComparison.Ordinal));
                    var (exit, output, error) = CliRunner.Run(Arguments(lines[i]["$ ./memgate ".Length..], Path.GetTempPath()));
                    Assert.Equal(string.Join('\n', expected.Where(l => l != summary)), output.TrimEnd('\n'));
                    string actual = error.Split('\n').Single(l => l.StartsWith("memgate run: ", StringComparison.Ordinal));
                    Assert.Equal(WithoutTimings(summary), WithoutTimings(actual));
                    Assert.Equal(ExitCodeIn(summary), exit);
                    runs++;
                }
            }
        }
        Assert.True(runs >= 4, $"only {runs} run transcripts found in the docs");
    }

    // The trace example: a ```sh block with the command, then a ```text block with the first lines of each file it
    // writes ("file.txt:  line", further lines indented). Without the Capstone library a trace line has no
    // disassembly, so trace.txt is compared up to its instruction bytes.
    [Fact]
    public void The_trace_example_shows_the_first_lines_of_the_files_it_writes()
    {
        var example = TraceExample().Match(Documents[0].Text);
        Assert.True(example.Success, "the README lost its trace example");
        string scratch = Directory.CreateTempSubdirectory("memgate-trace").FullName;
        try
        {
            var (exit, _, error) = CliRunner.Run(Arguments(example.Groups["command"].Value["./memgate ".Length..], scratch));
            Assert.True(exit == 0, error);
            var shown = new Dictionary<string, List<string>>();
            List<string>? lines = null;
            foreach (string line in example.Groups["text"].Value.TrimEnd('\n').Split('\n'))
            {
                if (Regex.Match(line, @"^(\S+\.txt):\s+(.*)$") is { Success: true } file)
                {
                    shown[file.Groups[1].Value] = lines = [file.Groups[2].Value];
                }
                else
                {
                    lines!.Add(line.Trim());
                }
            }
            Assert.Equal(["trace.txt", "blocks.txt", "exceptions.txt"], shown.Keys);
            foreach (var (name, expected) in shown)
            {
                var actual = File.ReadLines(Path.Combine(scratch, name)).Take(expected.Count).ToList();
                string Compared(string line) => name == "trace.txt" ? string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(2)) : line;
                Assert.Equal(expected.Select(Compared), actual.Select(Compared));
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [GeneratedRegex(@"```sh\n(?<command>\./memgate run [^\n]*--trace-instructions[^\n]*)\n```\n\n```text\n(?<text>.*?)```", RegexOptions.Singleline)]
    private static partial Regex TraceExample();

    [Fact]
    public void Every_json_outcome_of_a_run_is_in_the_readme()
    {
        string paragraph = Documents[0].Text[Documents[0].Text.IndexOf("**JSON output.**", StringComparison.Ordinal)..];
        paragraph = paragraph[..paragraph.IndexOf("```", StringComparison.Ordinal)];
        foreach (var name in Enum.GetValues<MemGate.Emulation.RunOutcome>().Select(MemGate.Cli.Commands.RunCommand.OutcomeName).Append("fault").Distinct())
        {
            Assert.Contains($"`{name}`", paragraph, StringComparison.Ordinal);
        }
    }

    // Walks the command tree the CLI really builds; every option of every command must appear in that
    // command's rows of the command reference table (README.md or docs/cli.md), aliases included.
    [Fact]
    public void Every_cli_option_is_in_the_command_reference()
    {
        var rows = Documents.Where(d => d.Path is "README.md" or "docs/cli.md")
            .SelectMany(d => d.Text.Split('\n')).Where(l => l.StartsWith("| `memgate ", StringComparison.Ordinal)).ToList();
        var missing = new List<string>();
        void Walk(Command command, string path)
        {
            foreach (var sub in command.Subcommands)
            {
                string subPath = path.Length == 0 ? sub.Name : $"{path} {sub.Name}";
                var mine = rows.Where(r => r.StartsWith($"| `memgate {subPath} ", StringComparison.Ordinal) || r.StartsWith($"| `memgate {subPath}`", StringComparison.Ordinal)).ToList();
                if (mine.Count == 0)
                {
                    missing.Add($"memgate {subPath}: no row in the command reference");
                }
                foreach (var option in sub.Options.Where(o => o is not HelpOption and not VersionOption))
                {
                    foreach (string name in option.Aliases.Prepend(option.Name))
                    {
                        if (!mine.Any(r => Regex.IsMatch(r, $@"(?<![\w-]){Regex.Escape(name)}(?![\w-])")))
                        {
                            missing.Add($"memgate {subPath} {name}");
                        }
                    }
                }
                Walk(sub, subPath);
            }
        }
        Walk(CliApp.BuildRoot(TextWriter.Null, TextWriter.Null), "");
        Assert.True(missing.Count == 0, "Not in the command reference:\n" + string.Join('\n', missing));
    }

    // The "What works" matrix: one row per template, its region and peripheral counts as the template
    // has them, and "Runs firmware" / "Machine snapshots" yes exactly where FirmwareMachine.Create builds a machine.
    [Fact]
    public void The_what_works_matrix_matches_the_templates_and_machines()
    {
        string section = Readme[Readme.IndexOf("## What works", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        var rows = section.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| Template", StringComparison.Ordinal) && !l.StartsWith("|---", StringComparison.Ordinal))
            .Select(l => l.Trim('|').Split('|').Select(c => c.Trim()).ToArray()).ToList();
        Assert.Equal(MemGate.Devices.DeviceTemplates.Names.Order(StringComparer.Ordinal), rows.Select(r => r[0]).Order(StringComparer.Ordinal));
        foreach (var row in rows)
        {
            var device = MemGate.Devices.DeviceTemplates.Load(row[0]);
            Assert.StartsWith($"{device.Regions.Count} regions", row[2]);
            Assert.Contains($"{device.Peripherals.Count} peripherals", row[2]);
            if (device.Spaces.Count > 1)
            {
                Assert.Contains($"in {device.Spaces.Count} address spaces", row[2]);
            }
            bool runs;
            try
            {
                using var machine = MemGate.Emulation.FirmwareMachine.Create(device, TextWriter.Null);
                runs = true;
            }
            catch (NotSupportedException e) when (e.Message.Contains("firmware runs on", StringComparison.Ordinal))
            {
                runs = false;
            }
            Assert.True((runs ? "yes" : "no") == row[4], $"{row[0]}: 'Runs firmware' says {row[4]}");
            Assert.True(row[5] == row[4], $"{row[0]}: machine snapshots exist exactly where a machine runs");
            Assert.True((runs ? "yes" : "no") == row[6], $"{row[0]}: 'GDB' says {row[6]}");   // the GDB server debugs every machine that runs
        }
    }

    // docs/performance.md quotes the benchmark firmware's instruction count per loop_mode; run each.
    [Fact]
    public void The_benchmark_instruction_counts_in_the_docs_are_current()
    {
        string performance = Documents.Single(d => d.Path == Path.Combine("docs", "performance.md")).Text.Replace("\n", " ", StringComparison.Ordinal);
        var quoted = Regex.Matches(performance, @"`loop_mode` (?<mode>\d): (?<count>[\d,]+) instructions");
        Assert.Equal(3, quoted.Count);
        var image = MemGate.Firmware.FirmwareReader.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "loops.elf"));
        var loopMode = image.Symbols.Single(s => s.Name == "loop_mode");
        foreach (Match quote in quoted)
        {
            using var machine = MemGate.Emulation.FirmwareMachine.Create(MemGate.Devices.DeviceTemplates.Load("STM32F103"), TextWriter.Null);
            machine.Load(image);
            machine.Memory.Main.Debug.WriteUInt32(new MemGate.Memory.GuestAddress(loopMode.Address), uint.Parse(quote.Groups["mode"].Value, CultureInfo.InvariantCulture));
            var result = machine.Run(timeout: TimeSpan.FromSeconds(60));
            Assert.Equal(MemGate.Emulation.RunOutcome.Exit, result.Outcome);
            Assert.Equal($"`loop_mode` {quote.Groups["mode"].Value}: {result.Instructions:N0} instructions", quote.Value);
        }
    }

    [Fact]
    public void Every_device_file_example_in_the_docs_loads()
    {
        var blocks = Documents.SelectMany(d => Regex.Matches(d.Text, "```(toml|yaml|json)\n(.*?)```", RegexOptions.Singleline)).ToList();
        Assert.Equal(["json", "toml", "yaml"], blocks.Select(b => b.Groups[1].Value).Distinct().Order(StringComparer.Ordinal));
        foreach (Match block in blocks)
        {
            var format = Enum.Parse<MemGate.Devices.Config.DeviceConfigFormat>(block.Groups[1].Value, ignoreCase: true);
            var device = MemGate.Devices.Config.DeviceConfigReader.Parse(block.Groups[2].Value, format, $"docs ({format})");
            Assert.NotEmpty(device.Regions);
        }
    }

    [Fact]
    public void Every_device_file_field_is_in_the_readme_table()
    {
        using var schema = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "schema", "device.schema.json")));
        var table = Readme.Split('\n').Where(l => l.StartsWith("| `[", StringComparison.Ordinal)).ToList();
        foreach (var section in schema.RootElement.GetProperty("properties").EnumerateObject())
        {
            var element = section.Value;
            bool isList = element.TryGetProperty("type", out var type) && type.GetString() == "array";
            string heading = isList ? $"`[[{section.Name}]]`" : $"`[{section.Name}]`";
            string? row = table.FirstOrDefault(l => l.StartsWith($"| {heading}", StringComparison.Ordinal));
            Assert.True(row is not null, $"no row for {heading} in the README's device-file table");
            var fields = isList ? element.GetProperty("items") : element;
            foreach (var field in fields.GetProperty("properties").EnumerateObject())
            {
                Assert.True(row!.Contains($"`{field.Name}`", StringComparison.Ordinal), $"{heading} row lacks `{field.Name}`");
            }
        }
    }

    [Fact]
    public void The_ranges_example_prints_what_the_docs_describe()
    {
        var output = new StringWriter();
        RangesExample.Run(output);
        string design = Documents.Single(d => d.Path == Path.Combine("docs", "design.md")).Text;
        Assert.Contains("```\n" + output.ToString().ReplaceLineEndings("\n") + "```", design);
    }

    [Fact]
    public void The_devices_example_runs()
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
    public void The_cpu_registers_example_reads_the_z_pointer()
    {
        var output = new StringWriter();
        CpuRegistersExample.Run(output);
        Assert.Equal("Z = 0x1234", output.ToString().Trim());
        Assert.Contains("`Z = 0x1234`", Readme);
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

    [SkippableFact]
    public void The_snapshot_examples_undo_a_run_and_rewind_a_machine()
    {
        Requires.WriteTracking();
        string tasks = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "tasks.elf");
        var output = new StringWriter();
        SnapshotExample.RunFromMemorySnapshot(tasks, output);
        Assert.Matches(@"^run: [\d,]+ instructions; restored [1-9]\d* page\(s\)", output.ToString());

        output = new StringWriter();
        SnapshotExample.RunFromMachineSnapshot(tasks, output);
        var lines = output.ToString().ReplaceLineEndings("\n").TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Equal(lines[0][lines[0].IndexOf(':', StringComparison.Ordinal)..], l[l.IndexOf(':', StringComparison.Ordinal)..]));
        Assert.Contains(": exit, ", lines[0]);
    }

    [Fact]
    public void The_peripherals_example_prints_what_the_readme_says()
    {
        var output = new StringWriter();
        PeripheralsExample.Run(output);
        string text = output.ToString().ReplaceLineEndings("\n");
        Assert.StartsWith("hi\nISR = 0b100\n7 MMIO accesses traced; the first:\n", text);
        string first = text.Split('\n')[3];
        Assert.Equal("{\"seq\":1,\"pc\":null,\"address\":1073741832,\"addressHex\":\"0x40000008\",\"size\":4,\"value\":1,\"valueHex\":\"0x1\",\"access\":\"write\",\"region\":\"UART0\",\"peripheral\":\"UART0\",\"register\":\"CR\"}", first);
        Assert.Contains(first, Readme);
    }

    [Fact]
    public void The_license_matches_the_package_metadata()
    {
        string props = File.ReadAllText(Path.Combine(Root, "Directory.Build.props"));
        Assert.Contains("<PackageLicenseExpression>MIT</PackageLicenseExpression>", props);
        string license = File.ReadAllText(Path.Combine(Root, "LICENSE"));
        Assert.StartsWith("MIT License", license);
        Assert.Contains("Copyright (c) ", license);
        Assert.Contains("MemGate developers", license);
    }

    [Fact]
    public void The_docs_link_only_to_files_that_exist()
    {
        foreach (var (path, text) in Documents)
        {
            foreach (Match link in Regex.Matches(text, @"\]\((?<target>[^)#:]+)(#[^)]*)?\)"))
            {
                string target = Path.GetFullPath(Path.Combine(Root, Path.GetDirectoryName(path)!, link.Groups["target"].Value));
                Assert.True(File.Exists(target) || Directory.Exists(target), $"{path}: link to {link.Groups["target"].Value}, which does not exist");
            }
        }
    }

    [Fact]
    public void The_docs_speak_to_newcomers()
    {
        foreach (var (path, text) in Documents)
        {
            foreach (string word in (string[])["../shared", "outside this repository", "DESIGN.md (", "the seed"])
            {
                Assert.False(text.Contains(word, StringComparison.Ordinal), $"{path} mentions '{word}'");
            }
            Assert.DoesNotMatch(@"(?i)\b(seeds?|sessions?)\b", text);
            Assert.DoesNotMatch(@"(?i)\bissue \d+", text);
        }
    }

    /// <summary>CLI arguments from a documented command line: repository paths made absolute, outputs sent to <paramref name="scratch"/>.</summary>
    private static string[] Arguments(string commandLine, string scratch)
    {
        string[] args = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < args.Length; i++)
        {
            if (i > 0 && args[i - 1] is "--svg" or "-o" or "--output" or "--trace-mmio" or "--trace-instructions" or "--trace-blocks" or "--trace-exceptions")
            {
                args[i] = Path.Combine(scratch, Path.GetFileName(args[i]));
            }
            else if (i > 0 && args[i - 1] == "--dump-memory" && args[i].IndexOf(':', StringComparison.Ordinal) is int colon and > 0)
            {
                args[i] = $"{args[i][..colon]}:{Path.Combine(scratch, Path.GetFileName(args[i][(colon + 1)..]))}";   // REGION:FILE
            }
            else if (File.Exists(Path.Combine(Root, args[i])))
            {
                args[i] = Path.Combine(Root, args[i]);
            }
        }
        return args;
    }

    private static string WithoutTimings(string summary) => Mips().Replace(Timing().Replace(summary, "in … ms, "), "… MIPS");

    private static int ExitCodeIn(string summary)
    {
        var code = Regex.Match(summary, @"(?:exit with code|\(exit code) (\d+)");
        return code.Success ? int.Parse(code.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>The using lines of <paramref name="source"/>, a blank line and its region <paramref name="name"/> de-indented; null without that region.</summary>
    private static string? Expected(string source, string name)
    {
        var match = Regex.Match(source, $@"\n(?<indent>[ \t]*)// begin-snippet: {Regex.Escape(name)}\n(?<code>.*?)\n[ \t]*// end-snippet", RegexOptions.Singleline);
        if (!match.Success)
        {
            return null;
        }
        string indent = match.Groups["indent"].Value;
        var body = match.Groups["code"].Value.Split('\n').Select(l => l.StartsWith(indent, StringComparison.Ordinal) ? l[indent.Length..] : l.TrimStart());
        var usings = source.Split('\n').Where(l => UsingLine().IsMatch(l));
        return (string.Join('\n', usings) + "\n\n" + string.Join('\n', body)).TrimEnd();
    }

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

    [GeneratedRegex(@"```csharp\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex CsharpBlock();

    [GeneratedRegex(@"<!-- snippet: (?<name>[\w-]+) -->\n\z")]
    private static partial Regex SnippetMarker();

    [GeneratedRegex(@"```console\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ConsoleBlock();

    [GeneratedRegex(@"^using [\w.]+(\s*=\s*[\w.<>]+)?;$")]
    private static partial Regex UsingLine();

    [GeneratedRegex(@"in [\d.,]+ (ms|s|µs), ")]
    private static partial Regex Timing();

    [GeneratedRegex(@"[\d.,]+ MIPS")]
    private static partial Regex Mips();
}
