namespace MemGate.Devices;

/// <summary>A named guest address (a function or variable of the firmware).</summary>
/// <param name="Name">The symbol's name.</param>
/// <param name="Address">Its guest address.</param>
public sealed record DeviceSymbol(string Name, ulong Address);
