using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>Owns a Capstone handle (csh) and closes it when released.</summary>
internal sealed unsafe class CapstoneHandle : SafeHandle
{
    private readonly Capstone.Functions _library;

    private CapstoneHandle(Capstone.Functions library, nuint handle) : base(IntPtr.Zero, ownsHandle: true)
    {
        _library = library;
        SetHandle((nint)handle);
    }

    /// <summary>Opens Capstone for <paramref name="arch"/> and <paramref name="mode"/>; null when it has no such architecture.</summary>
    public static CapstoneHandle? Open(Capstone.Functions library, int arch, int mode)
    {
        nuint handle;
        return library.Open(arch, mode, &handle) == 0 ? new CapstoneHandle(library, handle) : null;
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The first instruction in <paramref name="code"/> as "mnemonic operands", or null when it does not decode.</summary>
    public string? DisassembleOne(ReadOnlySpan<byte> code, ulong address)
    {
        nint instructions = 0;
        nuint count;
        fixed (byte* bytes = code)
        {
            count = _library.Disassemble((nuint)handle, bytes, (nuint)code.Length, address, 1, &instructions);
        }
        if (count == 0)
        {
            return null;
        }
        try
        {
            string mnemonic = Marshal.PtrToStringUTF8(instructions + _library.MnemonicOffset) ?? "";
            string operands = Marshal.PtrToStringUTF8(instructions + _library.MnemonicOffset + 32) ?? "";
            return operands.Length == 0 ? mnemonic : $"{mnemonic} {operands}";
        }
        finally
        {
            _library.Free(instructions, count);
        }
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        nuint h = (nuint)handle;
        return _library.Close(&h) == 0;
    }
}
