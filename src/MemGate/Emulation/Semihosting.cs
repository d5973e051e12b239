using System.Text;
using MemGate.Memory;

namespace MemGate.Emulation;

/// <summary>
/// ARM semihosting as firmware consoles, newlib's rdimon start-up and exits use it ("Semihosting for
/// AArch32 and AArch64", ARM IHI 0096): SYS_OPEN of ":tt" (read → handle 1 for the console input, write → 2
/// for the output, append → 3 for the error output: QEMU's meaning of the modes; handles are nonzero, as the
/// specification asks) and of ":semihosting-features" (handle 4: SYS_EXIT_EXTENDED and stdout/stderr announced,
/// so newlib passes exit codes), SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE (handle 3 to the error writer,
/// 1 and 2 to the output), SYS_READ and SYS_READC (no console input: end of file), SYS_ISTTY,
/// SYS_SEEK, SYS_FLEN, SYS_ERRNO, SYS_ISERROR, SYS_GET_CMDLINE (the image's name, as QEMU gives it),
/// SYS_HEAPINFO (zeros: the start-up code keeps its linker symbols), the clocks, SYS_EXIT and
/// SYS_EXIT_EXTENDED. Files are not opened: SYS_OPEN of a path returns -1. Any other handle is a bad one
/// (-1, or for SYS_WRITE and SYS_READ nothing transferred, with SYS_ERRNO then EBADF, as under QEMU); handles
/// are not counted, so closing one twice succeeds. Parameter blocks hold words of the caller's width (4 bytes
/// on AArch32, 8 on AArch64).
/// </summary>
/// <remarks>
/// The clocks read the machine's time, not the host's, so a run (and a fuzzer's replay) sees the same values
/// every time: SYS_ELAPSED returns <paramref name="ticks"/> (time since reset, counted in executed
/// instructions as the machine's timers count it), SYS_TICKFREQ <paramref name="ticksPerSecond"/>, SYS_CLOCK
/// the same time in centiseconds. SYS_TIME is the host's calendar time, as under QEMU.
/// </remarks>
internal sealed class Semihosting(GuestMemory memory, TextWriter output, TextWriter error, int wordBytes, Func<ulong> ticks, ulong ticksPerSecond)
{
    // ":semihosting-features": magic "SHFB", then feature byte 0: EXIT_EXTENDED (bit 0), STDOUT_STDERR (bit 1).
    private static readonly byte[] Features = "SHFB\u0003"u8.ToArray();
    private const ulong InputHandle = 1;
    private const ulong ErrorHandle = 3;
    private const ulong FeaturesHandle = 4;
    private const ulong BadHandleError = 9;   // EBADF, as SYS_ERRNO reports it under QEMU
    private ulong _featuresPosition;
    private ulong _errno;

    /// <summary>
    /// Back to a fresh start (SYS_ERRNO 0, the features file at its start): at reset and at every snapshot restore, so a
    /// run from a snapshot (a fuzzer's, a replay) sees what the last run left behind no more than the models do.
    /// </summary>
    public void Reset() => (_errno, _featuresPosition) = (0, 0);

    /// <summary>What SYS_GET_CMDLINE returns: the image's name, so argv[0] is set as under QEMU.</summary>
    public string CommandLine { get; set; } = "";

    public const int SysOpen = 0x01;
    public const int SysClose = 0x02;
    public const int SysWriteC = 0x03;
    public const int SysWrite0 = 0x04;
    public const int SysWrite = 0x05;
    public const int SysRead = 0x06;
    public const int SysReadC = 0x07;
    public const int SysIsError = 0x08;
    public const int SysIsTty = 0x09;
    public const int SysSeek = 0x0A;
    public const int SysFlen = 0x0C;
    public const int SysClock = 0x10;
    public const int SysTime = 0x11;
    public const int SysErrno = 0x13;
    public const int SysGetCmdline = 0x15;
    public const int SysHeapInfo = 0x16;
    public const int SysExit = 0x18;
    public const int SysExitExtended = 0x20;
    public const int SysElapsed = 0x30;
    public const int SysTickFreq = 0x31;
    private const ulong AdpStoppedApplicationExit = 0x20026;

    private ulong Failure => wordBytes == 4 ? 0xFFFF_FFFFUL : ulong.MaxValue;   // -1 in the caller's width

    /// <summary>Performs operation <paramref name="op"/>; returns the value for R0/X0, or an exit code when the firmware exits.</summary>
    /// <exception cref="NotSupportedException">An operation outside the list above, named in the message.</exception>
    public (ulong Result, int? ExitCode) Call(ulong op, ulong arg)
    {
        switch ((int)op)
        {
            case SysOpen:
            {
                // {name, mode, length}; mode 0–3 read, 4–7 write, 8–11 append (fopen's r, w, a families).
                string name = Text(Word(arg, 0), Word(arg, 2));
                if (name == ":semihosting-features")
                {
                    _featuresPosition = 0;
                    return (FeaturesHandle, null);
                }
                return (name == ":tt" ? InputHandle + Math.Min(Word(arg, 1) / 4, 2) : Failure, null);
            }
            case SysClose:
                return IsOpen(Word(arg, 0)) ? (0, null) : BadHandle(Failure);
            case SysWriteC:
                output.Write((char)memory.ReadByte(new GuestAddress(arg)));
                return (0, null);
            case SysWrite0:
                for (ulong a = arg; memory.ReadByte(new GuestAddress(a)) is var b && b != 0; a++)
                {
                    output.Write((char)b);
                }
                return (0, null);
            case SysWrite:
            {
                // {handle, buffer, length}; returns the bytes NOT written.
                ulong handle = Word(arg, 0);
                if (handle is < InputHandle or > ErrorHandle)
                {
                    return BadHandle(Word(arg, 2));
                }
                (handle == ErrorHandle ? error : output).Write(Text(Word(arg, 1), Word(arg, 2)));
                return (0, null);
            }
            case SysRead:
            {
                // {handle, buffer, length}; returns the bytes NOT read. The console has no input: end of file.
                ulong length = Word(arg, 2);
                if (Word(arg, 0) != FeaturesHandle)
                {
                    return IsOpen(Word(arg, 0)) ? (length, null) : BadHandle(length);
                }
                int n = (int)Math.Min(length, (ulong)Features.Length - Math.Min(_featuresPosition, (ulong)Features.Length));
                memory.Write(new GuestAddress(Word(arg, 1)), Features.AsSpan((int)_featuresPosition, n));
                _featuresPosition += (ulong)n;
                return (length - (ulong)n, null);
            }
            case SysReadC:
                return (Failure, null);
            case SysIsTty:
                return Word(arg, 0) is >= InputHandle and <= ErrorHandle ? (1UL, null) : IsOpen(Word(arg, 0)) ? (0, null) : BadHandle(Failure);
            case SysSeek when Word(arg, 0) == FeaturesHandle:
                _featuresPosition = Word(arg, 1);
                return (0, null);
            case SysFlen when Word(arg, 0) == FeaturesHandle:
                return ((ulong)Features.Length, null);
            case SysSeek:
            case SysFlen:
                return IsOpen(Word(arg, 0)) ? (Failure, null) : BadHandle(Failure);
            case SysErrno:
                return (_errno, null);
            case SysIsError:
                // {status}: non-zero when the status a call returned is an error (negative in the caller's width).
                return (Word(arg, 0) >> (wordBytes * 8 - 1) != 0 ? 1UL : 0, null);
            case SysClock:
                return ((ulong)((UInt128)ticks() * 100 / ticksPerSecond) & Failure, null);   // wraps in the caller's width
            case SysTime:
                return ((ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() & Failure, null);
            case SysElapsed:
            {
                // {low word, high word} on AArch32, one word on AArch64 (QEMU's layout).
                ulong now = ticks();
                SetWord(arg, 0, now & Failure);
                if (wordBytes == 4)
                {
                    SetWord(arg, 1, now >> 32);
                }
                return (0, null);
            }
            case SysTickFreq:
                return (ticksPerSecond, null);
            case SysGetCmdline:
            {
                // {buffer, length}: the command line with its NUL, or failure when it does not fit.
                byte[] line = Encoding.UTF8.GetBytes(CommandLine + "\0");
                if ((ulong)line.Length > Word(arg, 1))
                {
                    return (Failure, null);
                }
                memory.Write(new GuestAddress(Word(arg, 0)), line);
                SetWord(arg, 1, (ulong)line.Length - 1);
                return (0, null);
            }
            case SysHeapInfo:
            {
                // The argument points to a pointer to {heap base, heap limit, stack base, stack limit}; zeros mean "use your own".
                ulong block = Word(arg, 0);
                for (int i = 0; i < 4; i++)
                {
                    SetWord(block, i, 0);
                }
                return (0, null);
            }
            case SysExit when wordBytes == 4:
                // On AArch32 the argument is the reason itself; only ApplicationExit means success.
                return (0, arg == AdpStoppedApplicationExit ? 0 : 1);
            case SysExit:
            case SysExitExtended:
                // A block of (reason, subcode): the subcode is the exit code when the reason is ApplicationExit.
                return (0, Word(arg, 0) == AdpStoppedApplicationExit ? (int)Word(arg, 1) : 1);
            default:
                throw new NotSupportedException($"Semihosting operation 0x{op:X} is not supported (console, :tt handles, command line, heap info, clocks and exit are; files and SYS_SYSTEM are not).");
        }
    }

    private static bool IsOpen(ulong handle) => handle is >= InputHandle and <= FeaturesHandle;

    // A call on a handle that names nothing: its failure result, and EBADF for SYS_ERRNO.
    private (ulong, int?) BadHandle(ulong result)
    {
        _errno = BadHandleError;
        return (result, null);
    }

    private string Text(ulong address, ulong length)
    {
        var bytes = new byte[checked((int)length)];
        memory.Read(new GuestAddress(address), bytes);
        return Encoding.Latin1.GetString(bytes);
    }

    private ulong Word(ulong block, int index)
    {
        var at = new GuestAddress(block + (ulong)(index * wordBytes));
        return wordBytes == 4 ? memory.ReadUInt32(at) : memory.ReadUInt64(at);
    }

    private void SetWord(ulong block, int index, ulong value)
    {
        var at = new GuestAddress(block + (ulong)(index * wordBytes));
        if (wordBytes == 4)
        {
            memory.WriteUInt32(at, (uint)value);
        }
        else
        {
            memory.WriteUInt64(at, value);
        }
    }
}
