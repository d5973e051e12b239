namespace MemGate.Devices;

/// <summary>
/// A rule for a status bit nothing models, so firmware polling it does not spin forever: the field
/// reads as set, as clear, or as the current value of another field (a ready flag following its enable).
/// </summary>
/// <param name="Register">The register as PERIPHERAL.REGISTER, e.g. "RCC.CR".</param>
/// <param name="Field">The field, e.g. "HSERDY".</param>
public sealed record DeviceRule(string Register, string Field)
{
    /// <summary>"set" or "clear" for a constant reading; null when <see cref="Follows"/> is given.</summary>
    public string? Reads { get; init; }

    /// <summary>PERIPHERAL.REGISTER.FIELD whose value this field reads as, e.g. "RCC.CR.HSEON".</summary>
    public string? Follows { get; init; }
}
