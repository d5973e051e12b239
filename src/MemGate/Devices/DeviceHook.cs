namespace MemGate.Devices;

/// <summary>
/// Something a machine does when execution reaches an address or symbol, before the instruction there runs:
/// end the run there (Fuzzware's <c>exit_at</c>), or return from the function at once, optionally with a
/// value (Fuzzware's <c>handlers</c> that skip a function, <c>native.return_0x0</c>/<c>0x1</c>).
/// </summary>
/// <param name="At">An address or a symbol of the device.</param>
/// <param name="Action">What happens there.</param>
public sealed record DeviceHook(string At, DeviceHookAction Action)
{
    /// <summary>For <see cref="DeviceHookAction.Return"/>: the value the function returns (in r0), or null to leave r0 as it is.</summary>
    public ulong? ReturnValue { get; init; }
}
