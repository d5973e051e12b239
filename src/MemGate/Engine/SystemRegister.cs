namespace MemGate.Engine;

/// <summary>An AArch64 system register by its encoding (<c>S&lt;op0&gt;_&lt;op1&gt;_C&lt;n&gt;_C&lt;m&gt;_&lt;op2&gt;</c>).</summary>
/// <param name="Op0">op0.</param>
/// <param name="Op1">op1.</param>
/// <param name="Crn">CRn.</param>
/// <param name="Crm">CRm.</param>
/// <param name="Op2">op2.</param>
public readonly record struct SystemRegister(uint Op0, uint Op1, uint Crn, uint Crm, uint Op2)
{
    /// <inheritdoc/>
    public override string ToString() => $"S{Op0}_{Op1}_C{Crn}_C{Crm}_{Op2}";
}
