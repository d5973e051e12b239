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
        foreach (string command in commands)
        {
            string[] args = command["./memgate ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var (exit, _, err) = CliRunner.Run(args);
            Assert.True(exit == 0, $"'{command}' exited {exit}: {err}");
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
