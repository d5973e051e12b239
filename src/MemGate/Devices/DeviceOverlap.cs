namespace MemGate.Devices;

/// <summary>
/// Two regions (or two peripherals) of one address space that share addresses. The other one starts at
/// or before this one, so the shared addresses are [<see cref="Start"/>, <see cref="SharedLast"/>].
/// </summary>
/// <param name="Space">The address space.</param>
/// <param name="Index">This item's position in the device's list (for field names such as <c>regions[3]</c>).</param>
/// <param name="Name">This item's name.</param>
/// <param name="Start">This item's first address.</param>
/// <param name="Last">This item's last address (inclusive).</param>
/// <param name="OtherIndex">The overlapped item's position in the list.</param>
/// <param name="OtherName">The overlapped item's name.</param>
/// <param name="OtherStart">The overlapped item's first address.</param>
/// <param name="OtherLast">The overlapped item's last address (inclusive).</param>
public sealed record DeviceOverlap(string Space, int Index, string Name, ulong Start, ulong Last, int OtherIndex, string OtherName, ulong OtherStart, ulong OtherLast)
{
    /// <summary>The last address both cover.</summary>
    public ulong SharedLast => Math.Min(Last, OtherLast);
}
