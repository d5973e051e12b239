namespace MemGate.Fuzzing;

/// <summary>How a fuzzing run ended, as a fuzzer sorts runs.</summary>
public enum FuzzRunKind
{
    /// <summary>The firmware exited, used up the input, reached its stop point or went idle.</summary>
    Normal,

    /// <summary>A guest fault ended the run (an access to nothing or against permissions, an undefined instruction, a fault with no handler).</summary>
    Crash,

    /// <summary>The run reached its instruction limit or its time limit.</summary>
    Hang,
}
