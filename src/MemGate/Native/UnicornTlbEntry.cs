using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>unicorn.h's <c>uc_tlb_entry</c>: what a <c>UC_HOOK_TLB_FILL</c> hook answers for a virtual page.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UnicornTlbEntry
{
    public ulong PhysicalAddress;   // paddr
    public uint Permissions;        // perms: UC_PROT_* bits
}
