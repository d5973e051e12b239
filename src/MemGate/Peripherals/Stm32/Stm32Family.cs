namespace MemGate.Peripherals.Stm32;

/// <summary>Which STM32 series a model's register layout follows (device files: <c>family = "f1" | "f4" | "f429"</c>).</summary>
public enum Stm32Family
{
    /// <summary>STM32F1 (RM0008).</summary>
    F1,

    /// <summary>STM32F405/407/415/417 (RM0090).</summary>
    F4,

    /// <summary>STM32F42x/43x (RM0090): the F4 layout plus the SAI PLL, over-drive and the second flash bank.</summary>
    F429,
}
