using MemGate.Memory;

namespace MemGate.Emulation;

/// <summary>
/// ARM semihosting as far as firmware consoles and exits need it ("Semihosting for AArch32 and
/// AArch64", ARM IHI 0096): SYS_WRITEC, SYS_WRITE0, SYS_WRITE to the output, SYS_EXIT and
/// SYS_EXIT_EXTENDED. Parameter blocks hold words of the caller's width (4 bytes on AArch32, 8 on AArch64).
/// </summary>
internal sealed class Semihosting(GuestMemory memory, TextWriter output, int wordBytes)
{
    public const int SysWriteC = 0x03;
    public const int SysWrite0 = 0x04;
    public const int SysWrite = 0x05;
    public const int SysExit = 0x18;
    public const int SysExitExtended = 0x20;
    private const ulong AdpStoppedApplicationExit = 0x20026;

    /// <summary>Performs operation <paramref name="op"/>; returns the value for R0/X0, or an exit code when the firmware exits.</summary>
    public (ulong Result, int? ExitCode) Call(ulong op, ulong arg)
    {
        switch ((int)op)
        {
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
                ulong buffer = Word(arg + (ulong)wordBytes);
                ulong length = Word(arg + 2 * (ulong)wordBytes);
                var bytes = new byte[checked((int)length)];
                memory.Read(new GuestAddress(buffer), bytes);
                output.Write(System.Text.Encoding.Latin1.GetString(bytes));
                return (0, null);   // 0 bytes left unwritten
            }
            case SysExit when wordBytes == 4:
                // On AArch32 the argument is the reason itself; only ApplicationExit means success.
                return (0, arg == AdpStoppedApplicationExit ? 0 : 1);
            case SysExit:
            case SysExitExtended:
                // A block of (reason, subcode): the subcode is the exit code when the reason is ApplicationExit.
                return (0, Word(arg) == AdpStoppedApplicationExit ? (int)Word(arg + (ulong)wordBytes) : 1);
            default:
                throw new NotSupportedException($"Semihosting operation 0x{op:X} is not supported (SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_EXIT and SYS_EXIT_EXTENDED are).");
        }
    }

    private ulong Word(ulong address) => wordBytes == 4 ? memory.ReadUInt32(new GuestAddress(address)) : memory.ReadUInt64(new GuestAddress(address));
}
