using System.CommandLine;
using System.Net.Sockets;
using MemGate.Cli.Serial;
using MemGate.Devices;
using MemGate.Emulation;

namespace MemGate.Cli.Commands;

/// <summary>
/// <c>memgate run</c>'s serial consoles: standard input (a terminal in raw mode with QEMU's Ctrl-A keys, or a
/// pipe or file) or <c>--uart-input FILE</c> feeds the console UART; <c>--uart NAME=tcp:PORT</c> puts any UART
/// on a local TCP socket. Everything opened here is closed, and the terminal restored, by <see cref="Dispose"/>.
/// </summary>
internal sealed class RunConsole : IDisposable
{
    private readonly List<(string Spec, TcpSerialPort Port)> _sockets;
    private readonly byte[]? _file;
    private readonly CliInput _input;
    private RawTerminal? _raw;

    private RunConsole(List<(string Spec, TcpSerialPort Port)> sockets, byte[]? file, CliInput input)
    {
        _sockets = sockets;
        _file = file;
        _input = input;
        Outputs = sockets.Count == 0 ? null : sockets.ToDictionary(s => s.Port.Uart, s => s.Port.Output, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The options this adds to <c>run</c>.</summary>
    internal sealed record Options(Option<string?> InputFile, Option<string[]> Uarts);

    /// <summary>Where the UARTs on sockets write (for <see cref="FirmwareMachineOptions.SerialOutputs"/>); null when none.</summary>
    public IReadOnlyDictionary<string, TextWriter>? Outputs { get; }

    /// <summary>Adds <c>--uart-input</c> and <c>--uart</c> to <paramref name="command"/>.</summary>
    public static Options AddOptions(Command command)
    {
        var file = new Option<string?>("--uart-input")
        {
            HelpName = "FILE",
            Description = "Feed this file's bytes (a pipe too) to the console UART (the UART with the lowest number, e.g. USART1, UART0) instead of standard input; the run ends idle once the firmware waits for more.",
        };
        var uarts = new Option<string[]>("--uart")
        {
            HelpName = "NAME=tcp:PORT",
            Description = "NAME=tcp:PORT[,nowait]: put the UART NAME on a TCP socket on 127.0.0.1 (port 0: any free one); the run waits for the first connection unless ',nowait'. May be given more than once.",
            AllowMultipleArgumentsPerToken = false,
        };
        command.Add(file);
        command.Add(uarts);
        return new Options(file, uarts);
    }

    /// <summary>Reads the options (files and socket specifications checked; nothing listens yet).</summary>
    /// <exception cref="CommandInputException">A malformed <c>--uart</c> or an unreadable <c>--uart-input</c>.</exception>
    public static RunConsole Open(ParseResult parse, Options options, CliInput input)
    {
        var sockets = new List<(string Spec, TcpSerialPort Port)>();
        foreach (string spec in parse.GetValue(options.Uarts) ?? [])
        {
            sockets.Add((spec, ParseSocket(spec)));
        }
        var duplicate = sockets.GroupBy(s => s.Port.Uart, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new CommandUsageException($"--uart: UART '{duplicate.Key}' is given more than once.");
        }
        byte[]? file = parse.GetValue(options.InputFile) is { } path ? InputFile.ReadAllBytesOrStream(path, "UART input") : null;
        return new RunConsole(sockets, file, input);
    }

    /// <summary>NAME=tcp:PORT[,nowait] (also QEMU's tcp::PORT form).</summary>
    internal static TcpSerialPort ParseSocket(string spec)
    {
        const string Form = "give NAME=tcp:PORT or NAME=tcp:PORT,nowait (e.g. USART2=tcp:4001)";
        int equals = spec.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new CommandUsageException($"--uart {spec}: {Form}.");
        }
        string name = spec[..equals].Trim();
        string target = spec[(equals + 1)..].Trim();
        bool wait = true;
        if (target.EndsWith(",nowait", StringComparison.OrdinalIgnoreCase))
        {
            wait = false;
            target = target[..^",nowait".Length];
        }
        if (!target.StartsWith("tcp:", StringComparison.OrdinalIgnoreCase))
        {
            throw new CommandUsageException($"--uart {spec}: '{target}' is not a socket; {Form}.");
        }
        string port = target["tcp:".Length..].TrimStart(':');
        if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number) || number > 65535)
        {
            throw new CommandUsageException($"--uart {spec}: '{port}' is not a TCP port (0-65535; 0 picks a free one).");
        }
        return new TcpSerialPort(name, number, wait);
    }

    /// <summary>
    /// Connects the inputs to <paramref name="machine"/>'s UARTs and starts them: sockets listen (and wait for
    /// their first client unless 'nowait'), the file or standard input feeds the console UART, a terminal goes raw.
    /// Ctrl-A x on the terminal calls <paramref name="quit"/>.
    /// </summary>
    /// <exception cref="CommandInputException">A UART name the device lacks, a port that cannot be listened on.</exception>
    public void Connect(FirmwareMachine machine, TextWriter error, Action quit)
    {
        var names = machine.SerialPortNames;
        foreach (var (spec, port) in _sockets)
        {
            if (!names.Contains(port.Uart, StringComparer.OrdinalIgnoreCase))
            {
                throw new CommandInputException($"--uart {spec}: no UART called '{port.Uart}' on device '{machine.Memory.Device.Name}'" +
                    (names.Count == 0 ? " (it has no UART model)." : $"; its UARTs: {string.Join(", ", names)}.{NameSuggestion.DidYouMean(port.Uart, names)}"));
            }
        }
        foreach (var (spec, port) in _sockets)
        {
            try
            {
                port.Start(error);
            }
            catch (SocketException e)
            {
                throw new IOException($"--uart {spec}: cannot listen on 127.0.0.1:{port.RequestedPort}: {e.Message}", e);
            }
            machine.ConnectSerialInput(port.Uart, port.Input);
        }
        string? console = names.FirstOrDefault(n => !_sockets.Any(s => s.Port.Uart.Equals(n, StringComparison.OrdinalIgnoreCase)));
        if (_file is not null)
        {
            if (console is null)
            {
                throw new CommandInputException(names.Count == 0
                    ? $"--uart-input: device '{machine.Memory.Device.Name}' has no UART model to feed."
                    : $"--uart-input: every UART of device '{machine.Memory.Device.Name}' is on a socket (--uart).");
            }
            machine.ConnectSerialInput(console, SerialInput.FromBytes(_file));
            return;
        }
        if (console is null || _input.Open() is not { } stream)
        {
            return;
        }
        var input = new SerialInput();
        machine.ConnectSerialInput(console, input);
        if (_input.IsTerminal)
        {
            _raw = RawTerminal.Enter(0);
            error.WriteLine($"memgate run: this terminal types into {console}; Ctrl-A x quits, Ctrl-A h for help");
            error.Flush();
        }
        var escapes = _input.IsTerminal ? new EscapeParser() : null;
        var reader = new Thread(() => Pump(stream, input, escapes, quit, error)) { IsBackground = true, Name = "memgate stdin" };
        reader.Start();
    }

    // Standard input into the console UART until its end (or, on a terminal, Ctrl-A x).
    private static void Pump(Stream stream, SerialInput input, EscapeParser? escapes, Action quit, TextWriter error)
    {
        var buffer = new byte[4096];
        var send = new List<byte>();
        try
        {
            while (true)
            {
                int read = stream.Read(buffer);
                if (read == 0)
                {
                    break;
                }
                if (escapes is null)
                {
                    input.Write(buffer.AsSpan(0, read));
                    continue;
                }
                send.Clear();
                for (int i = 0; i < read; i++)
                {
                    switch (escapes.Feed(buffer[i]))
                    {
                        case EscapeAction.Send:
                            send.Add(buffer[i]);
                            break;
                        case EscapeAction.SendEscape:
                            send.Add(EscapeParser.Escape);
                            break;
                        case EscapeAction.Help:
                            error.Write("\n" + EscapeParser.HelpText);
                            error.Flush();
                            break;
                        case EscapeAction.Monitor:
                            error.WriteLine("\nmemgate has no monitor (QEMU's Ctrl-A c); Ctrl-A h for help");
                            error.Flush();
                            break;
                        case EscapeAction.Quit:
                            input.Write(send.ToArray());
                            quit();
                            return;
                    }
                }
                input.Write(send.ToArray());
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Standard input went away: the same as its end.
        }
        finally
        {
            input.Complete();
        }
    }

    /// <summary>Restores the terminal and closes the sockets.</summary>
    public void Dispose()
    {
        _raw?.Dispose();
        foreach (var (_, port) in _sockets)
        {
            port.Dispose();
        }
    }
}
