using MemGate.Memory;

namespace MemGate.Mmio.Svd;

/// <summary>A peripheral read from an SVD file: where it is and its registers, flattened (clusters and arrays expanded).</summary>
/// <param name="Name">The peripheral's name (array elements get their index).</param>
/// <param name="BaseAddress">Guest address of its register block.</param>
/// <param name="Size">Bytes its address blocks span (at least up to its last register).</param>
/// <param name="Registers">Registers with offsets from <paramref name="BaseAddress"/>; cluster offsets are folded in.</param>
public sealed record SvdPeripheral(string Name, ulong BaseAddress, ulong Size, IReadOnlyList<RegisterDefinition> Registers)
{
    /// <summary>Free text from the SVD.</summary>
    public string Description { get; init; } = "";

    /// <summary>The SVD groupName.</summary>
    public string GroupName { get; init; } = "";

    /// <summary>The peripheral it was derived from, if any.</summary>
    public string? DerivedFrom { get; init; }

    /// <summary>The interrupts it raises (<c>&lt;interrupt&gt;</c> elements), in file order.</summary>
    public IReadOnlyList<SvdInterrupt> Interrupts { get; init; } = [];

    /// <summary>The line of its <c>&lt;peripheral&gt;</c> element in the SVD file, 0 when unknown.</summary>
    public int Line { get; init; }

    /// <summary>Why its registers cannot make a register block (overlapping, none marked as an alternate); null when they can.</summary>
    public string? BlockProblem(ByteOrder order = ByteOrder.LittleEndian)
    {
        try
        {
            CreateBlock(order);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>A register block serving this peripheral: plain registers with the SVD's access rules.</summary>
    public RegisterBlock CreateBlock(ByteOrder order = ByteOrder.LittleEndian, UnmodelledAccessPolicy policy = UnmodelledAccessPolicy.ReadZeroWriteIgnore,
        Action<string>? log = null, Func<RegisterDefinition, RegisterDefinition>? adapt = null) =>
        new(Name, Size, adapt is null ? Registers : Registers.Select(adapt), order, policy, BaseAddress, log);
}
