using System.CommandLine;
using System.Text;
using MemGate.Devices;
using MemGate.Emulation;

namespace MemGate.Cli.Commands;

/// <summary>
/// <c>memgate run</c>'s execution traces: <c>--trace-instructions FILE</c> (every instruction, disassembled where
/// Capstone is installed, with the registers it wrote), <c>--trace-blocks FILE</c> (every block entered) and
/// <c>--trace-exceptions FILE</c> (entries and returns; <c>-</c> for stderr).
/// </summary>
internal sealed class RunTraces : IDisposable
{
    private readonly List<TextWriter> _files = [];
    private readonly (string? Instructions, string? Blocks, string? Exceptions) _paths;
    private Disassembler? _disassembler;

    private RunTraces((string?, string?, string?) paths) => _paths = paths;

    /// <summary>The options this adds to <c>run</c>.</summary>
    internal sealed record Options(Option<string?> Instructions, Option<string?> Blocks, Option<string?> Exceptions);

    /// <summary>Adds the trace options to <paramref name="command"/>.</summary>
    public static Options AddOptions(Command command)
    {
        var instructions = new Option<string?>("--trace-instructions")
        {
            HelpName = "FILE",
            Description = "Write every instruction executed to this file: address, bytes, disassembly (when Capstone, Debian's libcapstone4, is installed) and the registers it wrote. Slow: for short runs.",
        };
        var blocks = new Option<string?>("--trace-blocks") { HelpName = "FILE", Description = "Write every basic block entered to this file: its address and the instruction count at its start, one line each." };
        var exceptions = new Option<string?>("--trace-exceptions")
        {
            HelpName = "FILE|-",
            Description = "Write every exception and interrupt entry and return (with its number, name and addresses) to this file; '-' for stderr.",
        };
        command.Add(instructions);
        command.Add(blocks);
        command.Add(exceptions);
        return new Options(instructions, blocks, exceptions);
    }

    /// <summary>Reads the options (the files are created when the machine exists).</summary>
    public static RunTraces Open(ParseResult parse, Options options) =>
        new((parse.GetValue(options.Instructions), parse.GetValue(options.Blocks), parse.GetValue(options.Exceptions)));

    /// <summary>Creates the trace files and starts the traces on <paramref name="machine"/> (before its first run).</summary>
    public void Start(FirmwareMachine machine, DeviceDescription device, TextWriter error)
    {
        if (_paths.Instructions is { } instructions)
        {
            _disassembler = Disassembler.Create(device);
            machine.TraceInstructions(Create(instructions, "--trace-instructions"), _disassembler);
        }
        if (_paths.Blocks is { } blocks)
        {
            machine.TraceBlocks(Create(blocks, "--trace-blocks"));
        }
        if (_paths.Exceptions is { } exceptions)
        {
            machine.TraceExceptions(exceptions == "-" ? error : Create(exceptions, "--trace-exceptions"));
        }
    }

    private StreamWriter Create(string path, string option)
    {
        OutputFile.CheckReplaceable(path);
        try
        {
            var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16);
            _files.Add(writer);
            return writer;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option} {path}: cannot write it: {e.Message}", e);
        }
    }

    /// <summary>Closes the trace files.</summary>
    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }
        _disassembler?.Dispose();
    }
}
