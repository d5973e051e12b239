namespace MemGate.Mmio;

/// <summary>Handlers that know what lives at an offset, so traces and messages can name the peripheral and register.</summary>
public interface IRegisterNames
{
    /// <summary>The peripheral and register at <paramref name="offset"/>; either may be null when unknown.</summary>
    (string? Peripheral, string? Register) Describe(ulong offset);
}
