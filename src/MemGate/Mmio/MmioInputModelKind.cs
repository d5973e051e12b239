namespace MemGate.Mmio;

/// <summary>How an <see cref="MmioInputModel"/> answers a read (Fuzzware's MMIO model kinds).</summary>
public enum MmioInputModelKind
{
    /// <summary>Always the same value; no input consumed.</summary>
    Constant,

    /// <summary>Plain memory: reads return what was last written (initially the model's value); no input consumed.</summary>
    Passthrough,

    /// <summary>Only <see cref="MmioInputModel.Size"/> bytes of input, shifted left by <see cref="MmioInputModel.LeftShift"/>.</summary>
    BitExtract,

    /// <summary>One of <see cref="MmioInputModel.Values"/>, picked by one input byte (none consumed when there is one value).</summary>
    Set,

    /// <summary>The default: as many input bytes as the read is wide.</summary>
    Unmodeled,
}
