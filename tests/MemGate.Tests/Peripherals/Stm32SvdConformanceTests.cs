using MemGate.Mmio;
using MemGate.Mmio.Svd;
using MemGate.Peripherals;
using MemGate.Peripherals.Stm32;

namespace MemGate.Tests.Peripherals;

/// <summary>
/// Every register the STM32 models define, checked against ST's SVD files (trimmed copies in
/// Fixtures/svd/stm32): name, offset, reset value, and each modelled field's name, place and, where the SVD
/// says read-only, access. The few reset values that follow the reference manual instead are listed here with why.
/// </summary>
public sealed class Stm32SvdConformanceTests
{
    // (SVD file, peripheral, register) → the reset value the model has instead, and why.
    private static readonly Dictionary<(string, string, string), (ulong Reset, string Why)> Deviations = new()
    {
        [("STM32F407.svd", "PWR", "CR")] = (0x4000, "RM0090 5.4.1: VOS resets to 1 on F405/407; the SVD lacks the field"),
        [("STM32F407.svd", "PWR", "CSR")] = (0x4000, "VOSRDY: the regulator is ready at once"),
        [("STM32F429.svd", "PWR", "CSR")] = (0x4000, "VOSRDY: the regulator is ready at once"),
        [("STM32F407.svd", "FLASH", "OPTCR")] = (0x0FFF_AAED, "RM0090 3.9.10: the option bytes as shipped (the F429 SVD agrees)"),
    };

    // SVD registers no model defines.
    private static readonly HashSet<(string, string)> Unmodelled = [("TIM2", "OR")];

    public static TheoryData<string, string, string, string> Cases => new()
    {
        { "STM32F103", "STM32F103xx.svd", "RCC", "RCC" },
        { "STM32F103", "STM32F103xx.svd", "PWR", "PWR" },
        { "STM32F103", "STM32F103xx.svd", "FLASH_IF", "FLASH" },
        { "STM32F103", "STM32F103xx.svd", "GPIOA", "GPIOA" },
        { "STM32F103", "STM32F103xx.svd", "GPIOB", "GPIOB" },
        { "STM32F103", "STM32F103xx.svd", "TIM2", "TIM2" },
        { "STM32F407", "STM32F407.svd", "RCC", "RCC" },
        { "STM32F407", "STM32F407.svd", "PWR", "PWR" },
        { "STM32F407", "STM32F407.svd", "FLASH_IF", "FLASH" },
        { "STM32F407", "STM32F407.svd", "GPIOA", "GPIOA" },
        { "STM32F407", "STM32F407.svd", "GPIOB", "GPIOB" },
        { "STM32F407", "STM32F407.svd", "TIM2", "TIM2" },
        { "STM32F407", "STM32F407.svd", "TIM6", "TIM6" },
        { "STM32F429", "STM32F429.svd", "RCC", "RCC" },
        { "STM32F429", "STM32F429.svd", "PWR", "PWR" },
        { "STM32F429", "STM32F429.svd", "FLASH_IF", "FLASH" },
        { "STM32F429", "STM32F429.svd", "GPIOA", "GPIOA" },
        { "STM32F429", "STM32F429.svd", "GPIOB", "GPIOB" },
        { "STM32F429", "STM32F429.svd", "TIM2", "TIM2" },
        { "STM32F429", "STM32F429.svd", "TIM6", "TIM6" },
    };

    private static SvdPeripheral Svd(string file, string peripheral) =>
        SvdReader.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "svd", "stm32", file)).Find(peripheral)
        ?? throw new InvalidOperationException($"{file} has no {peripheral}");

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_template_model_has_the_svd_registers_reset_values_and_fields(string template, string file, string name, string svdName)
    {
        var model = Stm32Devices.Model<Peripheral>(template, name);
        var svd = Svd(file, svdName);
        Assert.Equal(svd.BaseAddress, model.Blocks[0].Base);
        Compare(file, svdName, Assert.IsType<RegisterBlock>(model.Blocks[0].Handler), svd);
    }

    // STM32F103xB has no TIM6; the SVD (all F103 densities) describes the high-density part's.
    [Fact]
    public void The_f1_basic_timer_has_the_svd_registers_reset_values_and_fields()
    {
        var svd = Svd("STM32F103xx.svd", "TIM6");
        Compare("STM32F103xx.svd", "TIM6", new Stm32Timer("TIM6", svd.BaseAddress, basic: true).Block, svd);
    }

    private static void Compare(string file, string peripheral, RegisterBlock block, SvdPeripheral svd)
    {
        var problems = new List<string>();
        foreach (var expected in svd.Registers)
        {
            if (!block.AllRegisters.Any(r => r.Name == expected.Name) && !Unmodelled.Contains((peripheral, expected.Name)))
            {
                problems.Add($"{expected.Name}: in the SVD, not modelled");
            }
        }
        foreach (var register in block.AllRegisters)
        {
            var expected = svd.Registers.FirstOrDefault(r => r.Name == register.Name);
            if (expected is null)
            {
                problems.Add($"{register.Name}: not in the SVD");
                continue;
            }
            if (expected.Offset != register.Offset)
            {
                problems.Add($"{register.Name}: offset 0x{register.Offset:X}, SVD 0x{expected.Offset:X}");
            }
            ulong svdReset = expected.ResetValue & expected.ResetMask & 0xFFFF_FFFF;
            if (Deviations.TryGetValue((file, peripheral, register.Name), out var deviation))
            {
                Assert.NotEqual(svdReset, deviation.Reset);   // a deviation the SVD has caught up with is no longer one
                svdReset = deviation.Reset;
            }
            if (register.AlternateOf is null && register.ResetValue != svdReset)
            {
                problems.Add($"{register.Name}: reset 0x{register.ResetValue:X8}, SVD 0x{svdReset:X8}");
            }
            foreach (var field in register.Fields)
            {
                var svdField = expected.Fields.FirstOrDefault(f => f.Name == field.Name);
                if (svdField is null)
                {
                    problems.Add($"{register.Name}.{field.Name}: not in the SVD (fields: {string.Join(", ", expected.Fields.Select(f => f.Name))})");
                }
                else if ((svdField.BitOffset, svdField.BitWidth) != (field.BitOffset, field.BitWidth))
                {
                    problems.Add($"{register.Name}.{field.Name}: bits {field.BitOffset}+{field.BitWidth}, SVD {svdField.BitOffset}+{svdField.BitWidth}");
                }
                else if (svdField.Access == FieldAccess.ReadOnly && field.Access != FieldAccess.ReadOnly)
                {
                    problems.Add($"{register.Name}.{field.Name}: read-only in the SVD, writable in the model");
                }
            }
        }
        Assert.True(problems.Count == 0, $"{file} {peripheral}:\n" + string.Join("\n", problems));
    }
}
