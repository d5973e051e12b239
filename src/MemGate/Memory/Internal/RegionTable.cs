namespace MemGate.Memory.Internal;

/// <summary>
/// An immutable, sorted snapshot of a memory's regions. Changing the regions builds a new table and
/// publishes it with one reference write, so readers never see a half-updated table.
/// </summary>
internal sealed class RegionTable
{
    public static RegionTable Empty { get; } = new([]);

    private readonly ulong[] _starts;

    private RegionTable(RegionSlot[] slots)
    {
        Slots = slots;
        _starts = new ulong[slots.Length];
        for (int i = 0; i < slots.Length; i++)
        {
            _starts[i] = slots[i].Start;
        }
    }

    public RegionSlot[] Slots { get; }

    /// <summary>The slot containing <paramref name="address"/>, by binary search; null in a hole.</summary>
    public RegionSlot? Find(ulong address)
    {
        int i = Array.BinarySearch(_starts, address);
        if (i < 0)
        {
            i = ~i - 1;
        }
        if (i < 0)
        {
            return null;
        }
        RegionSlot slot = Slots[i];
        return address - slot.Start < slot.Length ? slot : null;
    }

    /// <summary>The lowest slot sharing an address with [<paramref name="start"/>, <paramref name="last"/>], or null.</summary>
    public RegionSlot? FirstOverlapping(ulong start, ulong last)
    {
        int i = Array.BinarySearch(_starts, start);
        if (i < 0)
        {
            i = ~i - 1;
        }
        for (int j = Math.Max(i, 0); j < Slots.Length && Slots[j].Start <= last; j++)
        {
            RegionSlot s = Slots[j];
            if (s.Start + (s.Length - 1) >= start)
            {
                return s;
            }
        }
        return null;
    }

    public RegionSlot? FindByName(string name)
    {
        foreach (var slot in Slots)
        {
            if (slot.Region.Name == name)
            {
                return slot;
            }
        }
        return null;
    }

    public RegionTable With(RegionSlot slot)
    {
        var slots = new RegionSlot[Slots.Length + 1];
        int i = 0;
        while (i < Slots.Length && Slots[i].Start < slot.Start)
        {
            slots[i] = Slots[i];
            i++;
        }
        slots[i] = slot;
        Array.Copy(Slots, i, slots, i + 1, Slots.Length - i);
        return new RegionTable(slots);
    }

    /// <summary>This table with <paramref name="slots"/> added (none overlapping these or each other), sorted once.</summary>
    public RegionTable WithAll(IEnumerable<RegionSlot> slots)
    {
        var all = Slots.Concat(slots).ToArray();
        Array.Sort(all, (a, b) => a.Start.CompareTo(b.Start));
        return new RegionTable(all);
    }

    public RegionTable Without(RegionSlot slot)
    {
        var slots = new RegionSlot[Slots.Length - 1];
        int j = 0;
        foreach (var s in Slots)
        {
            if (!ReferenceEquals(s, slot))
            {
                slots[j++] = s;
            }
        }
        return new RegionTable(slots);
    }
}
