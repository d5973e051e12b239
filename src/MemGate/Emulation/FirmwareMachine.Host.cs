using System.Diagnostics;
using MemGate.Engine;
using MemGate.Mmio;
using MemGate.Peripherals;

namespace MemGate.Emulation;

// What the host connects to a run: UART input (bytes from the host reach the guest's UARTs on the
// machine's thread) and traces.
public abstract partial class FirmwareMachine
{
    // Instructions until the next block report the host side needs (MaxValue: none).
    private ulong BlockReportInterval => _blockTrace is not null ? 0 : SerialPoll;

    // A block is about to run (`firmware`: one of the firmware's, not the machine's own pages).
    private void HostBlockEntered(ulong address, bool firmware)
    {
        if (_serialInputs.Count > 0)
        {
            DeliverSerialInput();
        }
        if (_blockTrace is { } trace && firmware)
        {
            Span<char> line = stackalloc char[48];
            int n = 0;
            line[n++] = '0';
            line[n++] = 'x';
            address.TryFormat(line[n..], out int written, "x8", System.Globalization.CultureInfo.InvariantCulture);
            n += written;
            line[n++] = ' ';
            (Instructions - BlockInstructions).TryFormat(line[n..], out written, default, System.Globalization.CultureInfo.InvariantCulture);
            n += written;
            line[n++] = '\n';
            trace.Write(line[..n]);
        }
    }

    // ---- Traces ----

    private TextWriter? _blockTrace;
    private TextWriter? _exceptionTrace;
    private readonly HashSet<ulong> _exceptionReturnSites = [];

    /// <summary>
    /// Writes a line for every block of the firmware's code entered from now on: its address and the instruction
    /// count at its start (<c>0x08000040 193</c>). Every block then reports to the machine, which costs a call into
    /// managed code per block (a few times slower than an untraced run).
    /// </summary>
    public void TraceBlocks(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _blockTrace = writer;
        LookAtNextBlock();
    }

    /// <summary>
    /// Writes a line for every exception or interrupt the firmware takes (<c>entry</c>, with its number, name, where
    /// it came from and its handler) and for every return from one (<c>return</c>, where to), prefixed by the
    /// instruction count. Returns that the CPU engine executes itself (RISC-V <c>mret</c>, AArch64 <c>eret</c>)
    /// are seen where the loaded image holds them.
    /// </summary>
    public void TraceExceptions(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        bool first = _exceptionTrace is null;
        _exceptionTrace = writer;
        if (first)
        {
            foreach (ulong site in _exceptionReturnSites)
            {
                HookReturnSite(site);
            }
        }
    }

    private InstructionTrace? _instructionTrace;

    /// <summary>
    /// Writes a line for every instruction the firmware executes from now on (call before the first run): its
    /// address, its bytes, its text when <paramref name="disassembler"/> is given, and the registers it changed
    /// (<c>0x08000040  4b02  ldr r3, [pc, #8]  R3=0x40013800</c>). One call into the machine per instruction:
    /// slow, for short runs. <see cref="FlushTraces"/> completes the last line.
    /// </summary>
    /// <exception cref="NotSupportedException">The CPU engine cannot report single instructions.</exception>
    public void TraceInstructions(TextWriter writer, Disassembler? disassembler = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _instructionTrace = new InstructionTrace(this, writer, disassembler);
        _engine.ObserveInstructions(_instructionTrace);
    }

    /// <summary>
    /// Writes the traced instruction's line now, with the registers it wrote: an exception is about to be entered, whose
    /// register changes (LR, xPSR, SP, mepc, ELR…) are the entry's, not that instruction's.
    /// </summary>
    private protected void CompleteInstructionTrace() => _instructionTrace?.Complete();

    /// <summary>Completes the traces' pending lines (the last instruction's register changes) and flushes their writers.</summary>
    public void FlushTraces()
    {
        _instructionTrace?.Complete();
        _blockTrace?.Flush();
        _exceptionTrace?.Flush();
    }

    // Each instruction's line is written when the next one starts (or at FlushTraces): only then are its register writes known.
    // The CPU engine reports no instruction that a Thumb IT block skips (its condition failed), though the run counts it:
    // those get a line of their own, found after their IT instruction by the gap they leave (in the block, or at its end).
    private sealed class InstructionTrace(FirmwareMachine machine, TextWriter writer, Disassembler? disassembler) : IInstructionObserver
    {
        private readonly ulong[] _before = new ulong[machine.Registers.Registers.Count];
        private readonly System.Text.StringBuilder _line = new();
        private bool _pending;
        private ulong _next;         // where the last line's instruction ends
        private ulong _blockEnd;     // where the block it was in ends
        private int _conditional;    // instructions of an IT block still to come

        public void Executing(ulong address, uint size)
        {
            Complete();
            // The machine's own pages (halt page, exception-entry code) are not the firmware's instructions, nor is the rest
            // of an IT block the run ended in (undone).
            if (address - machine._haltAddress < machine.Granule || address - machine._machineCodeAddress < machine.Granule || machine.RunEnded)
            {
                _conditional = 0;   // an exception came between: the IT block's rest is not skipped, it is not run at all
                return;
            }
            // Skipped instructions: up to here in the same block, or up to the end of the block before.
            ulong skippedTo = address > _next && address < _blockEnd ? address : address - _next < _blockEnd - _next ? _next : _blockEnd;
            for (ulong at = _next; _conditional > 0 && at < skippedTo; _conditional--)
            {
                uint skipped = machine.InstructionSize(at);
                Describe(at, skipped);
                writer.WriteLine(_line.Append("  ; condition failed"));
                at += skipped;
            }
            _conditional = Math.Max(_conditional - 1, 0);
            _conditional = Math.Max(_conditional, machine.ConditionalAfter(address));
            (_next, _blockEnd) = (address + size, machine.BlockAddress + machine.BlockBytes);
            Describe(address, size);
            var file = machine.Registers;
            for (int i = 0; i < _before.Length; i++)
            {
                _before[i] = file.Read(i);
            }
            _pending = true;
        }

        // The line's start: address, bytes and, with a disassembler, the instruction's text.
        private void Describe(ulong address, uint size)
        {
            Span<byte> code = stackalloc byte[16];
            code = code[..(int)Math.Min(size, 16u)];
            machine.ReadThroughEngine(address, code);
            _line.Clear();
            _line.Append("0x").Append(address.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)).Append("  ");
            int start = _line.Length;
            foreach (byte b in code)
            {
                _line.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            if (disassembler is not null)
            {
                _line.Append(' ', Math.Max(1, 10 - (_line.Length - start))).Append(disassembler.Disassemble(code, address) ?? "(undecodable)");
            }
        }

        public void Complete()
        {
            if (!_pending)
            {
                return;
            }
            _pending = false;
            var file = machine.Registers;
            int pc = file.IndexOf(machine.ProgramCounterName);
            bool first = true;
            for (int i = 0; i < _before.Length; i++)
            {
                ulong now = file.Read(i);
                if (i == pc || now == _before[i])
                {
                    continue;
                }
                _line.Append(first ? "  ; " : " ").Append(file.Registers[i].Name).Append("=0x")
                    .Append(now.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
                first = false;
            }
            writer.WriteLine(_line);
        }
    }

    /// <summary>An instruction of the loaded image that returns from an exception (found when the image is loaded): hooked while exceptions are traced.</summary>
    private protected void AddExceptionReturnSite(ulong address)
    {
        if (_exceptionReturnSites.Add(address) && _exceptionTrace is not null)
        {
            HookReturnSite(address);
        }
    }

    private void HookReturnSite(ulong address)
    {
        HookInstruction(address);
        InvalidateCode(address, 4);
    }

    /// <summary>Whether exceptions are traced.</summary>
    private protected bool IsTracingExceptions => _exceptionTrace is not null;

    /// <summary>Whether <paramref name="address"/> is a return site of <see cref="AddExceptionReturnSite"/> being traced.</summary>
    private protected bool IsTracedReturnSite(ulong address) => _exceptionTrace is not null && _exceptionReturnSites.Contains(address);

    /// <summary>Traces an exception entry (nothing when exceptions are not traced).</summary>
    private protected void TraceExceptionEntry(ulong number, string name, ulong from, ulong handler) =>
        _exceptionTrace?.WriteLine(System.FormattableString.Invariant($"{Instructions} entry {number} {name} from 0x{from:x8} to 0x{handler:x8}"));

    /// <summary>Traces an exception return (nothing when exceptions are not traced).</summary>
    private protected void TraceExceptionReturn(ulong number, string name, ulong to) =>
        _exceptionTrace?.WriteLine(System.FormattableString.Invariant($"{Instructions} return {number} {name} to 0x{to:x8}"));

    // A block report at least this often while inputs are connected: bytes that arrive from the host while
    // the firmware computes (nothing polls the UART) reach it within this many instructions.
    private const ulong SerialPollInstructions = 10_000;

    /// <summary>
    /// The line rate of connected UART input: a byte reaches a UART at most once per this many instructions
    /// (as a 115,200-baud line feeds a 24 MHz core), so firmware that moves bytes from its RX interrupt into
    /// a ring buffer keeps up as on the part; a CPU waiting for an interrupt gets the next byte at once.
    /// </summary>
    public const ulong SerialByteInstructions = 2_000;

    // How long one wait for input lasts before the run looks at its stop request and deadline again.
    private static readonly TimeSpan SerialWaitSlice = TimeSpan.FromMilliseconds(50);

    private readonly List<SerialConnection> _serialInputs = [];

    private sealed class SerialConnection(ISerialPort port, SerialInput input)
    {
        public ISerialPort Port { get; } = port;

        public SerialInput Input { get; } = input;

        public ulong NextAt { get; set; }   // the instruction count from which the next byte may go
    }

    /// <summary>
    /// Feeds <paramref name="input"/> to the UART model called <paramref name="uart"/> (a peripheral name of the
    /// device, any case): a byte is received when the UART can keep it, at most one per
    /// <see cref="SerialByteInstructions"/>, with its RX interrupt as the model raises it. A CPU waiting for an
    /// interrupt (WFI) while an input is open waits for its bytes instead of ending the run as idle; once every
    /// input is complete and delivered, or no UART can take more, idle ends the run as before.
    /// </summary>
    /// <exception cref="ArgumentException">No UART of that name: the message lists the device's UARTs.</exception>
    public void ConnectSerialInput(string uart, SerialInput input)
    {
        ArgumentNullException.ThrowIfNull(uart);
        ArgumentNullException.ThrowIfNull(input);
        if (Peripherals.Find(uart) is not ISerialPort port)
        {
            var names = SerialPortNames;
            throw new ArgumentException(names.Count == 0
                ? $"Device '{Memory.Device.Name}' has no UART model to connect '{uart}' to."
                : $"No UART called '{uart}' on device '{Memory.Device.Name}'; its UARTs: {string.Join(", ", names)}.");
        }
        _serialInputs.Add(new SerialConnection(port, input));
        LookAtNextBlock();
    }

    /// <summary>
    /// The names of the device's UART models, the console first: by the number their names end in (USART1
    /// before USART2, UART0 on the virt boards; a name without one counts as 0), then in the device's order.
    /// </summary>
    public IReadOnlyList<string> SerialPortNames =>
        [.. Peripherals.Where(p => p is ISerialPort).Select(p => p.Name).OrderBy(NameNumber)];

    private static ulong NameNumber(string name)
    {
        int digits = name.Length;
        while (digits > 0 && char.IsAsciiDigit(name[digits - 1]))
        {
            digits--;
        }
        return ulong.TryParse(name.AsSpan(digits), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong n) ? n : 0;
    }

    // Instructions until the next block report the inputs need (MaxValue: none connected).
    private ulong SerialPoll
    {
        get
        {
            ulong next = ulong.MaxValue;
            ulong now = Instructions;
            foreach (var connection in _serialInputs)
            {
                ulong wait = connection.Input.Pending > 0 && connection.NextAt > now ? connection.NextAt - now : SerialPollInstructions;
                next = Math.Min(next, Math.Max(wait, 1));
            }
            return next;
        }
    }

    // Hands a waiting byte to each UART that can keep one and whose line is free (`now`: a waiting CPU, whose
    // time jumps); true when any was delivered.
    private bool DeliverSerialInput(bool now = false)
    {
        bool delivered = false;
        ulong instructions = Instructions;
        foreach (var connection in _serialInputs)
        {
            if (connection.NextAt > instructions + SerialByteInstructions)
            {
                connection.NextAt = instructions;   // a new run started its count again
            }
            if ((now || instructions >= connection.NextAt) && connection.Port.CanReceive && connection.Input.TryTake(out byte value))
            {
                connection.Port.Receive(value);
                connection.NextAt = instructions + SerialByteInstructions;
                delivered = true;
            }
        }
        return delivered;
    }

    // The CPU waits for an interrupt at `pc` that nothing in the machine will raise: wait for host input that
    // a UART can take, deliver it, and wake up if that raised an interrupt. False when no open input can
    // reach a UART (then the run is idle), or the run was asked to stop, or its deadline passed.
    private bool AwaitSerialInput(ulong pc, out ulong resume)
    {
        resume = 0;
        while (true)
        {
            if (DeliverSerialInput(now: true))
            {
                if (WakeUp(pc, out resume))
                {
                    return true;
                }
                continue;   // delivered, but nothing woke the CPU (its RX interrupt is off): go on with the rest
            }
            var waits = new List<WaitHandle>();
            foreach (var connection in _serialInputs)
            {
                if (connection.Port.CanReceive && connection.Input.IsOpen)
                {
                    waits.Add(connection.Input.WaitHandle);
                }
            }
            if (waits.Count == 0 || _stopRequested || (_deadline != 0 && Stopwatch.GetTimestamp() >= _deadline))
            {
                return false;
            }
            WaitHandle.WaitAny([.. waits], SerialWaitSlice);
        }
    }

    // ---- State on demand ----

    /// <summary>
    /// The machine's state now (between runs, or after one ended): CPU registers, the interrupt controller, and
    /// every register block's stored values (see <see cref="MachineState"/>). Reads nothing through the models.
    /// </summary>
    public MachineState CaptureState()
    {
        var registers = new List<RegisterState>();
        var file = Registers;
        ulong pc = ReadPc();
        for (int i = 0; i < file.Registers.Count; i++)
        {
            var register = file.Registers[i];
            ulong value = file.Read(i);
            if (i == file.IndexOf(ProgramCounterName) && pc - _haltAddress < Granule && _haltedFrom is { } from)
            {
                value = MachineCodeLeadsTo(from) ?? from;   // the run ended (exit, fault): show where the firmware was, not the halt page
            }
            else if (i == file.IndexOf(ProgramCounterName) && MachineCodeLeadsTo(value) is { } target)
            {
                value = target;   // stopped in the machine's own code: where it goes on
            }
            registers.Add(new RegisterState(register.Name, value, register.SizeBytes));
        }
        registers.AddRange(ExtraStateRegisters());
        var blocks = new List<PeripheralState>();
        var seen = new HashSet<RegisterBlock>();
        foreach (var block in Peripherals.Blocks.Concat(Memory.Peripherals.Values.Select(b => new PeripheralBlock(b.Name, b.BaseAddress, b.Size, b))))
        {
            if (block.Handler is not RegisterBlock registerBlock || !seen.Add(registerBlock))
            {
                continue;
            }
            var values = registerBlock.AllRegisters.Where(r => r.AlternateOf is null).OrderBy(r => r.Offset)
                .Select(r => new RegisterState(r.Name, registerBlock.Peek(r.Name), r.SizeBytes, block.Base + r.Offset)).ToList();
            blocks.Add(new PeripheralState(block.Name, block.Base, values));
        }
        blocks.Sort((a, b) => a.Base.CompareTo(b.Base));
        return new MachineState(Memory.Device.Name, Cpu, Instructions, registers, InterruptControllerState(), blocks);
    }

    /// <summary>The name of the PC in <see cref="Registers"/> ("PC", "pc").</summary>
    private protected virtual string ProgramCounterName => "PC";

    /// <summary>CPU registers a state dump shows besides <see cref="Registers"/>' (fault and trap registers).</summary>
    private protected virtual IEnumerable<RegisterState> ExtraStateRegisters() => [];

    /// <summary>The exception and interrupt controller's state, for <see cref="CaptureState"/>.</summary>
    private protected virtual InterruptState? InterruptControllerState() => null;
}
