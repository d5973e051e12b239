using System.Runtime.CompilerServices;

namespace MemGate.Memory.Internal;

/// <summary>
/// Region-table mode's translation table: a direct-mapped table, indexed by 1 MiB granule, of the
/// host-backed region that touches that granule (the first one to claim it; MMIO and regions that lose
/// an entry take the region table). An access loads its granule's entry and makes one bounds compare
/// that also checks the permission (see <see cref="GranuleEntry"/>), so the check needs no tag: an
/// entry can only let through addresses inside its own region. Rebuilt and published by one reference
/// write whenever regions change, so a reader never sees half an entry of another region. The table is
/// the entry array itself, so an access loads one reference less.
/// </summary>
internal static class GranuleTable
{
    public const int Shift = 20;
    public const int Count = 8192;

    /// <summary>The largest access an entry's limits allow for.</summary>
    public const int MaxAccess = 8;

    // Granules a region may claim; past it a huge region would only overwrite its own entries.
    private const ulong MaxGranulesPerRegion = 4 * Count;

    /// <summary>The table that matches nothing (flat mode, empty or disposed memory).</summary>
    public static GranuleEntry[] Empty { get; } = new GranuleEntry[Count];

    /// <summary>The entry for the granule <paramref name="granule"/> (address &gt;&gt; <see cref="Shift"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Index(ulong granule) => (nint)((granule ^ (granule >> 13)) & (Count - 1));

    /// <summary>A table for the given slots; the first slot to claim an entry keeps it.</summary>
    public static GranuleEntry[] Build(RegionSlot[] slots)
    {
        var entries = new GranuleEntry[Count];
        var claimed = new bool[Count];
        foreach (var slot in slots)
        {
            if (slot.Host == 0 || slot.Length < MaxAccess)
            {
                continue;
            }
            ulong limit = slot.Length - (MaxAccess - 1);
            ulong first = slot.Start >> Shift;
            ulong last = (slot.Start + (slot.Length - 1)) >> Shift; // regions never wrap
            ulong count = Math.Min(last - first + 1, MaxGranulesPerRegion);
            for (ulong granule = first; granule < first + count; granule++)
            {
                nint i = Index(granule);
                if (claimed[i])
                {
                    continue;
                }
                claimed[i] = true;
                entries[i] = new GranuleEntry
                {
                    Start = slot.Start,
                    ReadLimit = (slot.FastBits & (1 << RegionSlot.ReadBit)) != 0 ? limit : 0,
                    WriteLimit = (slot.FastBits & (1 << RegionSlot.WriteBit | 1 << RegionSlot.WitnessBit)) == 1 << RegionSlot.WriteBit ? limit : 0,
                    Delta = unchecked((ulong)slot.Host - slot.Start),
                };
            }
        }
        return entries;
    }
}
