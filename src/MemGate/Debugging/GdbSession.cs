using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using MemGate.Emulation;
using MemGate.Memory;

namespace MemGate.Debugging;

/// <summary>
/// One debugger's connection to a halted machine: answers GDB's packets (registers, memory, break- and
/// watchpoints, resume and step, qXfer documents, monitor commands) until the debugger leaves or the
/// firmware exits. All-stop mode, one thread. Every packet gets an answer: an unknown one the empty reply,
/// a malformed one an error; nothing a debugger sends ends the run except kill, detach and disconnecting.
/// </summary>
internal sealed class GdbSession
{
    // GDB's signal numbers (gdb/signals.def), not the host's.
    private const int SignalInterrupt = 2;
    private const int SignalIllegal = 4;
    private const int SignalTrap = 5;
    private const int SignalSegv = 11;

    private readonly FirmwareMachine _machine;
    private readonly GdbConnection _connection;
    private readonly GdbTargetDescription _target;
    private readonly GdbServerOptions _options;
    private readonly CancellationToken _cancel;
    private readonly Queue<GdbInput> _deferred = new();
    private readonly Dictionary<ulong, int> _hardwareBreakpoints = [];
    private readonly List<ulong> _breakpoints = [];   // set by this debugger (repeated as set), removed when it leaves
    private readonly List<(ulong Address, ulong Length, WatchKind Kind)> _watchpoints = [];
    private string _stopReply = $"S{SignalTrap:x2}";
    private RunResult? _lastRun;
    private EmulationFault? _fault;
    private ulong? _endedAt;   // the instruction that ended the last run for good (a fault, no input left); going on runs it again
    private ulong _instructions;
    private ulong _snapshotInstructions;   // _instructions when 'monitor snapshot save' took _snapshot
    private bool _peripheralReads;
    private MachineSnapshot? _snapshot;

    public GdbSession(FirmwareMachine machine, GdbConnection connection, GdbServerOptions options, CancellationToken cancel)
    {
        _machine = machine;
        _connection = connection;
        _options = options;
        _cancel = cancel;
        _target = GdbTargetDescription.For(machine);
    }

    /// <summary>The run that ended the machine before the session began (a debugger attaching to firmware that already stopped).</summary>
    public void Begin(RunResult? run, EmulationFault? fault, ulong instructions)
    {
        _instructions = instructions;
        if (fault is not null)
        {
            Faulted(fault);
        }
        else if (run is not null)
        {
            _lastRun = run;
            ShowWhereItEnded(run);
            _stopReply = StopReply(run);
        }
    }

    /// <summary>Serves packets until the session ends.</summary>
    public GdbSessionResult Serve()
    {
        try
        {
            while (true)
            {
                var input = Next();
                switch (input.Kind)
                {
                    case GdbInputKind.Closed:
                        return End(GdbSessionEnd.Disconnected);
                    case GdbInputKind.Interrupt:
                        continue;   // already stopped
                    case GdbInputKind.Malformed:
                        _connection.Send("E01");
                        continue;
                }
                if (_cancel.IsCancellationRequested)
                {
                    return End(GdbSessionEnd.Cancelled);
                }
                if (Handle(input.Payload) is { } end)
                {
                    return end;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return End(GdbSessionEnd.Cancelled);
        }
        finally
        {
            _snapshot?.Dispose();
            RemoveAllPoints();
        }
    }

    // A debugger that leaves (even without removing them, its connection dropped) takes its breakpoints and watchpoints
    // with it, as from QEMU's stub: firmware running on must not stop at them with nobody there.
    private void RemoveAllPoints()
    {
        foreach (ulong address in _breakpoints)
        {
            _machine.RemoveBreakpoint(address);
        }
        foreach (var (address, length, kind) in _watchpoints)
        {
            _machine.RemoveWatchpoint(address, length, kind);
        }
        _breakpoints.Clear();
        _watchpoints.Clear();
        _hardwareBreakpoints.Clear();
    }

    private GdbSessionResult End(GdbSessionEnd end) => new(end, _lastRun, _fault, _instructions);

    private GdbInput Next()
    {
        if (_deferred.TryDequeue(out var deferred))
        {
            return deferred;
        }
        try
        {
            return _connection.Inputs.ReadAsync(_cancel).AsTask().GetAwaiter().GetResult();
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            return GdbInput.Closed;
        }
    }

    // Returns the end of the session, or null to go on.
    private GdbSessionResult? Handle(byte[] payload)
    {
        string text = Encoding.Latin1.GetString(payload);
        try
        {
            switch (text.Length > 0 ? text[0] : '\0')
            {
                case '?':
                    _connection.Send(_stopReply);
                    return null;
                case 'g':
                    _connection.Send(ReadAllRegisters());
                    return null;
                case 'G':
                    WriteAllRegisters(text[1..]);
                    _connection.Send("OK");
                    return null;
                case 'p':
                    _connection.Send(ReadRegister(ParseHex(text[1..])));
                    return null;
                case 'P':
                    {
                        int equals = text.IndexOf('=');
                        WriteRegister(ParseHex(text[1..equals]), text[(equals + 1)..]);
                        _connection.Send("OK");
                        return null;
                    }
                case 'm':
                    ReadMemory(text[1..]);
                    return null;
                case 'M':
                    {
                        var (address, length, data) = AddressLengthData(text[1..]);
                        byte[] bytes = Convert.FromHexString(data);
                        _connection.Send(bytes.Length == (int)length && _machine.TryWriteDebugMemory(address, bytes) ? "OK" : "E14");
                        return null;
                    }
                case 'X':
                    {
                        int colon = Array.IndexOf(payload, (byte)':');
                        var (address, length) = AddressLength(text[1..colon]);
                        var bytes = payload.AsSpan(colon + 1);
                        _connection.Send(bytes.Length == (int)length && (length == 0 || _machine.TryWriteDebugMemory(address, bytes)) ? "OK" : "E14");
                        return null;
                    }
                case 'Z':
                case 'z':
                    _connection.Send(BreakOrWatch(text[0] == 'Z', text[1..]));
                    return null;
                case 'c':
                case 'C':
                case 's':
                case 'S':
                    {
                        // c[addr], s[addr]; C sig[;addr], S sig[;addr]: the signal is not the firmware's to take.
                        string rest = text[1..];
                        string? address = text[0] is 'c' or 's' ? rest : rest.Contains(';') ? rest[(rest.IndexOf(';') + 1)..] : null;
                        if (!string.IsNullOrEmpty(address))
                        {
                            _machine.ProgramCounter = ParseAddress(address);
                        }
                        return Resume(step: text[0] is 's' or 'S');
                    }
                case 'D':
                    _connection.Send("OK");
                    return End(GdbSessionEnd.Detached);
                case 'k':
                    return End(GdbSessionEnd.Killed);
                case 'H':
                case 'T':
                    _connection.Send("OK");   // one thread: every thread id names it
                    return null;
                case 'q':
                case 'Q':
                    return Query(text);
                case 'v':
                    return Verbose(text, payload);
                default:
                    _connection.Send("");
                    return null;
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or IndexOutOfRangeException)
        {
            _connection.Send("E01");   // a malformed packet: an error, never the end of the run
            return null;
        }
        catch (Exception e) when (e is MemGateException or InvalidOperationException or NotSupportedException)
        {
            _options.Log?.WriteLine($"memgate: GDB asked for something the machine refused: {e.Message}");   // GDB takes 'O' packets only while running
            _connection.Send("E01");
            return null;
        }
    }

    private GdbSessionResult? Query(string text)
    {
        if (text.StartsWith("qSupported", StringComparison.Ordinal))
        {
            _connection.Send($"PacketSize={GdbConnection.MaxPacket:x};qXfer:features:read+;qXfer:memory-map:read+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+");
        }
        else if (text == "QStartNoAckMode")
        {
            _connection.Send("OK");
            _connection.StartNoAckMode();
        }
        else if (text.StartsWith("qXfer:features:read:", StringComparison.Ordinal))
        {
            string[] parts = text["qXfer:features:read:".Length..].Split(':');
            Transfer(parts[0] == "target.xml" ? _target.ToXml() : null, parts[1]);
        }
        else if (text.StartsWith("qXfer:memory-map:read::", StringComparison.Ordinal))
        {
            Transfer(GdbMemoryMap.ToXml(_machine), text["qXfer:memory-map:read::".Length..]);
        }
        else if (text.StartsWith("qRcmd,", StringComparison.Ordinal))
        {
            return Monitor(Encoding.UTF8.GetString(Convert.FromHexString(text["qRcmd,".Length..])).Trim());
        }
        else
        {
            _connection.Send(text switch
            {
                "qAttached" => "1",   // so that quitting GDB detaches rather than kills
                "qC" => "QC1",
                "qfThreadInfo" => "m1",
                "qsThreadInfo" => "l",
                _ when text.StartsWith("qSymbol", StringComparison.Ordinal) => "OK",
                _ => "",
            });
        }
        return null;
    }

    private GdbSessionResult? Verbose(string text, byte[] payload)
    {
        if (text == "vCont?")
        {
            _connection.Send("vCont;c;C;s;S");
            return null;
        }
        if (text.StartsWith("vCont;", StringComparison.Ordinal))
        {
            // All-stop, one thread: a step for any thread steps; otherwise continue.
            string[] actions = text["vCont;".Length..].Split(';');
            return Resume(step: actions.Any(a => a.Length > 0 && a[0] is 's' or 'S'));
        }
        if (text.StartsWith("vFlashErase:", StringComparison.Ordinal))
        {
            var (address, length) = AddressLength(text["vFlashErase:".Length..]);
            byte[] erased = new byte[checked((int)length)];
            erased.AsSpan().Fill(0xFF);
            _connection.Send(_machine.TryWriteDebugMemory(address, erased) ? "OK" : "E14");
            return null;
        }
        if (text.StartsWith("vFlashWrite:", StringComparison.Ordinal))
        {
            int colon = Array.IndexOf(payload, (byte)':', "vFlashWrite:".Length);
            ulong address = ParseAddress(text["vFlashWrite:".Length..colon]);
            _connection.Send(_machine.TryWriteDebugMemory(address, payload.AsSpan(colon + 1)) ? "OK" : "E14");
            return null;
        }
        if (text == "vFlashDone")
        {
            _connection.Send("OK");
            return null;
        }
        if (text.StartsWith("vKill", StringComparison.Ordinal))
        {
            _connection.Send("OK");
            return End(GdbSessionEnd.Killed);
        }
        _connection.Send("");   // vMustReplyEmpty and whatever this server does not do
        return null;
    }

    // ---- running ----

    private GdbSessionResult? Resume(bool step)
    {
        if (_machine.Ended)
        {
            // Exited or faulted without a PC to go on from: say so again rather than run nothing.
            _connection.Send(_stopReply);
            return null;
        }
        // Going on at the instruction that ended the run tries it again: when it ends the run the same way, that is
        // still the one instruction counted, not one more per 'continue'.
        ulong? retrying = _endedAt == (_machine.ProgramCounter & ~1UL) ? _endedAt : null;
        _endedAt = null;
        var run = Task.Run(() => step ? _machine.Step() : _machine.Continue());
        bool stopWanted = false;
        var reading = _connection.Inputs.WaitToReadAsync(CancellationToken.None).AsTask();
        while (!run.IsCompleted)
        {
            // A stop asked for before the run began is forgotten when it begins: ask again until it ends.
            Task.WaitAny([run, reading], stopWanted ? 20 : Timeout.Infinite);
            if (_cancel.IsCancellationRequested)
            {
                stopWanted = true;
            }
            if (reading.IsCompleted)
            {
                bool more = reading.Result;
                while (_connection.Inputs.TryRead(out var input))
                {
                    if (input.Kind == GdbInputKind.Interrupt)
                    {
                        stopWanted = true;
                    }
                    else
                    {
                        stopWanted |= input.Kind == GdbInputKind.Closed;
                        _deferred.Enqueue(input);   // answered once the machine has stopped
                    }
                }
                reading = more ? _connection.Inputs.WaitToReadAsync(CancellationToken.None).AsTask() : new TaskCompletionSource<bool>().Task;
            }
            if (stopWanted)
            {
                _machine.RequestStop();
            }
        }
        try
        {
            var result = run.GetAwaiter().GetResult();
            _lastRun = result;
            _fault = null;
            ShowWhereItEnded(result);
            _instructions += retrying is not null && _endedAt == retrying && result.Instructions == 1 ? 0 : result.Instructions;
            if (result.Outcome == RunOutcome.Exit)
            {
                _stopReply = $"W{(byte)result.ExitCode!.Value:x2}";
                _connection.Send(_stopReply);
                return End(GdbSessionEnd.Exited);
            }
            if (result.EndedOnItsOwn)
            {
                Console($"memgate: {result.Reason}\n");
            }
            _stopReply = StopReply(result);
        }
        catch (EmulationFault fault)
        {
            Faulted(fault);
            _instructions += retrying is not null && _endedAt == retrying && _machine.Instructions == 1 ? 0 : _machine.Instructions;
            Console($"memgate: {fault.Message}\n");
        }
        _connection.Send(_stopReply);
        return null;
    }

    // The instruction that ended a run for good (its read found no input left) rather than the machine's halt page,
    // as for a fault; going on runs it again, and it ends the same way.
    private void ShowWhereItEnded(RunResult run)
    {
        if (run.StoppedAt is { } at)
        {
            _machine.ProgramCounter = at & ~1UL;
            _endedAt = at & ~1UL;
        }
    }

    private void Faulted(EmulationFault fault)
    {
        _fault = fault;
        _lastRun = null;
        // Show where it faulted (not the machine's halt page); going on runs the faulting instruction again.
        _machine.ProgramCounter = fault.ProgramCounter & ~1UL;
        _endedAt = fault.ProgramCounter & ~1UL;
        _stopReply = $"T{(fault.Access is not null ? SignalSegv : SignalIllegal):x2}";
    }

    private string StopReply(RunResult result)
    {
        switch (result.Outcome)
        {
            // A breakpoint the engine could only stop after (see the README's GDB table) is a plain SIGTRAP to GDB.
            case RunOutcome.Breakpoint when _machine.HasBreakpoint(_machine.ProgramCounter):
                return $"T{SignalTrap:x2}{(_hardwareBreakpoints.ContainsKey(_machine.ProgramCounter) ? "hwbreak" : "swbreak")}:;";
            case RunOutcome.Watchpoint when _machine.LastWatchpoint is { } hit:
                string kind = hit.Kind switch { WatchKind.Write => "watch", WatchKind.Read => "rwatch", _ => "awatch" };
                return $"T{SignalTrap:x2}{kind}:{Math.Max(hit.Address, hit.Watched):x};";
            case RunOutcome.Interrupted:
                return $"T{SignalInterrupt:x2}";
            default:
                return $"T{SignalTrap:x2}";
        }
    }

    // Text for GDB's console, while the target is "running" (before the stop reply).
    private void Console(string text) => _connection.Send("O" + Convert.ToHexString(Encoding.UTF8.GetBytes(text)));

    // ---- break- and watchpoints ----

    private string BreakOrWatch(bool insert, string arguments)
    {
        string[] parts = arguments.Split(',');
        int type = int.Parse(parts[0], CultureInfo.InvariantCulture);
        ulong address = ParseAddress(parts[1]);
        ulong length = ParseAddress(parts[2].Split(';')[0]);
        switch (type)
        {
            case 0:
            case 1:
                if (insert)
                {
                    _machine.AddBreakpoint(address);
                    _breakpoints.Add(address);
                    if (type == 1)
                    {
                        _hardwareBreakpoints[address] = _hardwareBreakpoints.GetValueOrDefault(address) + 1;
                    }
                    return "OK";
                }
                if (type == 1 && _hardwareBreakpoints.TryGetValue(address, out int count))
                {
                    if (count > 1)
                    {
                        _hardwareBreakpoints[address] = count - 1;
                    }
                    else
                    {
                        _hardwareBreakpoints.Remove(address);
                    }
                }
                return _breakpoints.Remove(address) && _machine.RemoveBreakpoint(address) ? "OK" : "E01";   // only its own
            case 2:
            case 3:
            case 4:
                if (length == 0)
                {
                    return "E01";
                }
                var kind = type switch { 2 => WatchKind.Write, 3 => WatchKind.Read, _ => WatchKind.Access };
                if (insert)
                {
                    _machine.AddWatchpoint(address, length, kind);
                    _watchpoints.Add((address, length, kind));
                    return "OK";
                }
                return _watchpoints.Remove((address, length, kind)) && _machine.RemoveWatchpoint(address, length, kind) ? "OK" : "E01";
            default:
                return "";
        }
    }

    // ---- registers ----

    private string ReadAllRegisters()
    {
        var text = new StringBuilder();
        for (int i = 0; i < _target.Registers.Count; i++)
        {
            text.Append(ReadRegister(i));
        }
        return text.ToString();
    }

    private void WriteAllRegisters(string hex)
    {
        int offset = 0;
        for (int i = 0; i < _target.Registers.Count && offset < hex.Length; i++)
        {
            int digits = _target.Registers[i].Bits / 4;
            if (offset + digits > hex.Length)
            {
                throw new FormatException("The 'G' packet is shorter than the registers.");
            }
            string value = hex.Substring(offset, digits);
            if (!value.Contains('x') && !_target.Registers[i].ReadOnly)
            {
                WriteRegister(i, value);
            }
            offset += digits;
        }
    }

    private string ReadRegister(int number)
    {
        if (number < 0 || number >= _target.Registers.Count)
        {
            return "E45";
        }
        var register = _target.Registers[number];
        Span<byte> bytes = stackalloc byte[Math.Max(8, register.Bits / 8)];
        try
        {
            if (register.Bits > 64)
            {
                _machine.ReadRegister(register.EngineId, bytes);
            }
            else
            {
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, register.Type == "code_ptr" ? _machine.ProgramCounter
                    : register.System is { } system ? _machine.ReadSystemRegister(system) : _machine.ReadRegister(register.EngineId));
            }
        }
        catch (Engine.CpuEngineException)
        {
            return new string('x', register.Bits / 4);   // the engine cannot read it: unavailable
        }
        return Convert.ToHexStringLower(bytes[..(register.Bits / 8)]);
    }

    private void WriteRegister(int number, string hex)
    {
        if (number < 0 || number >= _target.Registers.Count)
        {
            throw new FormatException($"No register {number}.");
        }
        var register = _target.Registers[number];
        byte[] bytes = Convert.FromHexString(hex);
        if (bytes.Length != register.Bits / 8)
        {
            throw new FormatException($"Register {register.Name} takes {register.Bits / 8} bytes.");
        }
        if (register.ReadOnly)
        {
            throw new FormatException($"Register {register.Name} is read-only here.");
        }
        if (register.Bits > 64)
        {
            _machine.WriteRegister(register.EngineId, bytes);
            return;
        }
        Span<byte> wide = stackalloc byte[8];
        wide.Clear();
        bytes.CopyTo(wide);
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(wide);
        if (register.Type == "code_ptr")
        {
            _machine.ProgramCounter = value;
        }
        else if (register.System is { } system)
        {
            _machine.WriteSystemRegister(system, value);
        }
        else
        {
            _machine.WriteRegister(register.EngineId, value);
        }
    }

    // ---- memory ----

    private void ReadMemory(string arguments)
    {
        var (address, length) = AddressLength(arguments);
        int size = (int)Math.Min(length, GdbConnection.MaxPacket / 2 - 8);
        byte[] bytes = new byte[size];
        if (_machine.TryReadDebugMemory(address, bytes, _peripheralReads))
        {
            _connection.Send(Convert.ToHexStringLower(bytes));
            return;
        }
        // As much as can be read from the start (GDB takes a short read); none at all is an error.
        int readable = 0;
        while (readable < size && _machine.TryReadDebugMemory(address + (ulong)readable, bytes.AsSpan(readable, 1), _peripheralReads))
        {
            readable++;
        }
        _connection.Send(readable == 0 ? "E14" : Convert.ToHexStringLower(bytes.AsSpan(0, readable)));
    }

    // qXfer reply: 'm' and a part, or 'l' and the last part; an unknown annex is an error.
    private void Transfer(string? document, string range)
    {
        if (document is null)
        {
            _connection.Send("E00");
            return;
        }
        var (offset, length) = AddressLength(range);
        byte[] bytes = Encoding.UTF8.GetBytes(document);
        int start = (int)Math.Min(offset, (ulong)bytes.Length);
        int count = (int)Math.Min(length, (ulong)(bytes.Length - start));
        var reply = new byte[count + 1];
        reply[0] = start + count >= bytes.Length ? (byte)'l' : (byte)'m';
        bytes.AsSpan(start, count).CopyTo(reply.AsSpan(1));
        _connection.Send(reply);
    }

    // ---- monitor commands ----

    private GdbSessionResult? Monitor(string command)
    {
        string[] words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string output;
        switch (words.Length > 0 ? words[0] : "help")
        {
            case "reset":
                _machine.ResetHalted();
                (_fault, _lastRun, _endedAt) = (null, null, null);   // what ended before no longer decides how memgate exits
                _instructions = 0;   // the count is the firmware's since it last started
                _stopReply = $"S{SignalTrap:x2}";
                output = $"Reset: stopped at 0x{_machine.ProgramCounter:x8} (GDB shows the new registers after 'maintenance flush register-cache').\n";
                break;
            case "snapshot" when words.Length == 2 && words[1] == "save":
                try
                {
                    _snapshot?.Dispose();
                    _snapshot = _machine.TakeSnapshot();
                    _snapshotInstructions = _instructions;
                    output = $"Snapshot saved at PC 0x{_machine.ProgramCounter:x8}.\n";
                }
                catch (NotSupportedException e)
                {
                    _snapshot = null;
                    output = $"Snapshots are not available here: {e.Message}\n";
                }
                break;
            case "snapshot" when words.Length == 2 && words[1] == "restore":
                if (_snapshot is null)
                {
                    output = "No snapshot: 'monitor snapshot save' first.\n";
                    break;
                }
                var restored = _machine.Restore(_snapshot);
                (_fault, _lastRun, _endedAt) = (null, null, null);
                _instructions = _snapshotInstructions;   // the firmware's count is back where the snapshot was taken
                output = $"Snapshot restored ({restored.Pages} page(s) copied back); PC 0x{_machine.ProgramCounter:x8}.\n";
                break;
            case "mmio" when words.Length == 2 && words[1] is "on" or "off":
                _peripheralReads = words[1] == "on";
                output = _peripheralReads
                    ? "Memory reads now reach peripheral registers (a read may pop a FIFO, clear a flag or take MMIO input).\n"
                    : "Memory reads of peripheral registers are refused (no side effects).\n";
                break;
            case "mmio" when words.Length == 1:
                output = _peripheralReads
                    ? "Memory reads reach peripheral registers ('monitor mmio off' refuses them).\n"
                    : "Memory reads of peripheral registers are refused ('monitor mmio on' lets them through).\n";
                break;
            case "help":
                output = "memgate monitor commands:\n" +
                    "  reset                 reset the CPU and peripherals; stop at the reset vector\n" +
                    "  snapshot save         save memory, CPU and peripherals\n" +
                    "  snapshot restore      go back to the saved snapshot\n" +
                    "  mmio [on|off]         let memory reads reach peripheral registers (off: refused); alone, says which\n";
                break;
            default:
                output = $"Unknown monitor command '{command}'; 'monitor help' lists them.\n";
                break;
        }
        Console(output);
        _connection.Send("OK");
        return null;
    }

    // ---- parsing ----

    private static int ParseHex(string text) => int.Parse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    private static ulong ParseAddress(string text) => ulong.Parse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    private static (ulong Address, ulong Length) AddressLength(string text)
    {
        int comma = text.IndexOf(',');
        return (ParseAddress(text[..comma]), ParseAddress(text[(comma + 1)..]));
    }

    private static (ulong Address, ulong Length, string Data) AddressLengthData(string text)
    {
        int colon = text.IndexOf(':');
        var (address, length) = AddressLength(text[..colon]);
        return (address, length, text[(colon + 1)..]);
    }
}
