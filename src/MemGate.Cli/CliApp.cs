using System.CommandLine;
using MemGate.Cli.Commands;

namespace MemGate.Cli;

/// <summary>
/// The <c>memgate</c> command: a thin shell over the library. Exit codes: 0 success, 1 invalid
/// input (one line per problem on stderr), 2 usage errors, 70 an internal error (a bug; never a stack
/// trace); <c>run</c> adds one code per outcome (<see cref="FirmwareExitLimit"/> and the constants after it).
/// </summary>
public static partial class CliApp
{
    /// <summary>Exit code for success.</summary>
    public const int Success = 0;

    /// <summary>Exit code for invalid input (bad file, bad region, guest fault).</summary>
    public const int InvalidInput = 1;

    /// <summary>Exit code for bad usage (unknown option, missing argument).</summary>
    public const int Usage = 2;

    /// <summary>Exit code for a bug in MemGate (EX_SOFTWARE): an exception that is not one of MemGate's own.</summary>
    public const int InternalError = 70;

    /// <summary>The host's I/O failed (EX_IOERR): <c>run</c>'s console output or a UART's socket under a running firmware, any command's standard output on a full disk.</summary>
    public const int HostIOError = 74;

    /// <summary>
    /// <c>run</c>: firmware exit codes 0 to this value pass through; any other code (negative, or above
    /// it) becomes this value, so it cannot be taken for one of the outcomes below or a signal.
    /// </summary>
    public const int FirmwareExitLimit = 119;

    /// <summary><c>run</c>: the firmware faulted (a guest fault the machine does not deliver to the firmware).</summary>
    public const int GuestFault = 120;

    /// <summary><c>run</c>: the block limit (<c>--max-blocks</c>, a device's <c>[limits] blocks</c>) was reached (Fuzzware's translation block limit).</summary>
    public const int BlockLimit = 121;

    /// <summary><c>run</c>: the MMIO input (<c>--mmio-input</c>) ran out, as a Fuzzware run ends.</summary>
    public const int InputExhausted = 122;

    /// <summary><c>run</c>: <c>--input-timeout</c> basic blocks ran without reading MMIO input (Fuzzware's fuzz consumption timeout).</summary>
    public const int InputTimeout = 123;

    /// <summary><c>run</c>: the wall-time limit (<c>--timeout</c>) was reached (as timeout(1)).</summary>
    public const int Timeout = 124;

    /// <summary><c>run</c>: the instruction limit (<c>--max-instructions</c>) was reached.</summary>
    public const int InstructionLimit = 125;

    /// <summary><c>run</c>: the CPU waits for an interrupt that nothing will raise.</summary>
    public const int Idle = 126;

    /// <summary>
    /// <c>run</c>: the interrupt limit (<c>--max-interrupts</c>, a device's <c>[limits] interrupts</c>) was reached (Fuzzware's).
    /// 127 is left to shells (command not found); 128 is no signal's.
    /// </summary>
    public const int InterruptLimit = 128;

    /// <summary><c>run</c>, <c>fuzz</c>: stopped by Ctrl-C (SIGINT), as shells report it.</summary>
    public const int Interrupted = 130;

    /// <summary><c>run</c>, <c>fuzz</c>: stopped by SIGTERM (kill, timeout(1)), as shells report it.</summary>
    public const int Terminated = 143;

    /// <summary>Builds the command tree.</summary>
    public static RootCommand BuildRoot(TextWriter output, TextWriter error, CliInput? input = null)
    {
        var root = new RootCommand("MemGate: guest memory for IoT firmware emulation, backed by real Linux memory.");
        root.Add(ListCommand.Create(output, error));
        root.Add(ModelsCommand.Create(output, error));
        root.Add(ShowCommand.Create(output, error));
        root.Add(DeviceAllocationCommand.Create("template", "A built-in template name (see 'memgate list').", output, error));
        root.Add(DeviceAllocationCommand.Create("config", "A device file: .toml, .yaml, .yml or .json (or, as elsewhere, a template name).", output, error));
        root.Add(ValidateCommand.Create(output, error));
        root.Add(ConvertCommand.Create(output, error));
        root.Add(MapCommand.Create(output, error));
        root.Add(ImportCommand.Create(output, error));
        root.Add(SvdCommand.Create(output, error));
        root.Add(ImageCommand.Create(output, error));
        root.Add(RunCommand.Create(output, error, input));
        root.Add(FuzzCommand.Create(output, error));
        root.Add(ProcessCommand.Create(output, error));
        root.Add(AllocateCommand.Create(output, error));
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>, writing to the given streams; returns the exit code. <c>run</c> reads no console input.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) => Run(args, output, error, CliInput.None);

    /// <summary>Parses and runs <paramref name="args"/>; <c>run</c> feeds <paramref name="input"/> to the console UART (standard input for the <c>memgate</c> command).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, CliInput input)
    {
        error = new BestEffortWriter(error);
        return Guard(error, () =>
        {
            var root = BuildRoot(output, error, input);
            RefuseEmptyValues(root);
            // No response files: an argument starting with '@' is itself (a region spec "@0x0:4KiB" was read as a file name).
            var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            // A mistyped option the command took as its argument (`validate --jsn a.toml` as two device files): refused
            // as the unknown option it is. After a "--", a word starting with "--" is an argument (a file of that name).
            var options = args.TakeWhile(a => a != "--").ToHashSet(StringComparer.Ordinal);
            var misplaced = parse.CommandResult.Children.OfType<System.CommandLine.Parsing.ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value)
                .Where(v => v.Length > 2 && v.StartsWith("--", StringComparison.Ordinal) && options.Contains(v)).Distinct().ToList();
            if (parse.Errors.Count > 0 || misplaced.Count > 0)
            {
                // A mistyped command or option: the closest of those the command where it stands takes. A word that looks
                // like an option may have been taken as an argument's value (a firmware file), so those are looked at too.
                var command = parse.CommandResult.Command;
                var unknown = parse.UnmatchedTokens.Concat(parse.Tokens.Where(t => t.Type == System.CommandLine.Parsing.TokenType.Argument && t.Value.StartsWith("--", StringComparison.Ordinal))
                    .Select(t => t.Value)).Distinct().ToList();
                foreach (string word in misplaced)
                {
                    error.WriteLine($"memgate: Unrecognized option '{word}'.");
                }
                foreach (var problem in parse.Errors)
                {
                    // Said of every mistyped command word at the top, where the word itself is the problem.
                    if (unknown.Any(t => !t.StartsWith('-')) && command == parse.RootCommandResult.Command && problem.Message == "Required command was not provided.")
                    {
                        continue;
                    }
                    error.WriteLine($"memgate: {Plain(problem.Message)}");
                }
                foreach (string token in unknown)
                {
                    var names = token.StartsWith('-') ? command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)) : command.Subcommands.Select(c => c.Name);
                    // `--from-snapsot=FILE`: the option's name is what was mistyped.
                    if (Devices.NameSuggestion.Closest(token.StartsWith('-') ? token.Split('=')[0] : token, names) is { } guess)
                    {
                        error.WriteLine($"memgate: '{token}': did you mean '{guess}'?");
                    }
                }
                error.WriteLine("Run 'memgate --help' for usage.");
                return Usage;
            }
            // Our own last handler (Guard), not System.CommandLine's, which prints the stack trace.
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        });
    }

    // No option or argument takes an empty text ("" for a file name would reach the file APIs, which reject it as a
    // programming error): a usage error naming it, before anything runs.
    private static void RefuseEmptyValues(Command command)
    {
        foreach (var option in command.Options.Where(o => o.ValueType == typeof(string) || o.ValueType == typeof(string[])))
        {
            option.Validators.Add(result =>
            {
                if (result.Tokens.Any(t => t.Value.Length == 0))
                {
                    result.AddError($"{option.Name}: the value is empty.");
                }
            });
        }
        foreach (var argument in command.Arguments.Where(a => a.ValueType == typeof(string) || a.ValueType == typeof(string[])))
        {
            argument.Validators.Add(result =>
            {
                if (result.Tokens.Any(t => t.Value.Length == 0))
                {
                    result.AddError($"<{argument.Name}>: the value is empty.");
                }
            });
        }
        foreach (var subcommand in command.Subcommands)
        {
            RefuseEmptyValues(subcommand);
        }
    }

    // System.CommandLine names .NET types in its messages ("as expected type 'System.Nullable`1[System.UInt64]'").
    private static string Plain(string message) => ExpectedType().Replace(message, match => match.Groups["type"].Value switch
    {
        "Byte" => "as a whole number from 0 to 255",
        "UInt16" or "UInt32" or "UInt64" => "as a whole number, 0 or more, in range",
        "SByte" or "Int16" or "Int32" or "Int64" => "as a whole number in range",
        "Single" or "Double" or "Decimal" => "as a number",
        "Boolean" => "as true or false",
        var other => $"as {other}",
    });

    [System.Text.RegularExpressions.GeneratedRegex(@"as expected type '(System\.Nullable`1\[)?System\.(?<type>\w+)\]?'")]
    private static partial System.Text.RegularExpressions.Regex ExpectedType();

    /// <summary>The last handler: runs <paramref name="body"/>; an exception escaping it is reported as an internal error (exit 70), without a stack trace.</summary>
    internal static int Guard(TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OutputFailedException e)
        {
            error.WriteLine($"memgate: cannot write the output: {e.Message}");   // help, version, a command's last lines
            return HostIOError;
        }
        catch (Exception e)
        {
            // Whatever escaped the commands' handlers is a bug, not the input's fault: say so briefly.
            string message = e.Message.Split('\n')[0];
            error.WriteLine($"memgate: internal error: {e.GetType().Name}: {message}");
            error.WriteLine("This is a bug in MemGate. Please report it with the command line and the input files that caused it.");
            return InternalError;
        }
    }
}
