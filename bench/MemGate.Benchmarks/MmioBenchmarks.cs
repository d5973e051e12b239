using BenchmarkDotNet.Attributes;
using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Benchmarks;

/// <summary>
/// MMIO through the guest-memory API: a 4-byte store to a register with a W1C field and a 4-byte load
/// of a plain register, beside a 4-byte RAM load in the same memory (the baseline). Target: ≤ 20 ns.
/// </summary>
[MemoryDiagnoser]
public class MmioBenchmarks
{
    private const int Operations = 1_000_000;
    private GuestMemory _memory = null!;
    private readonly GuestAddress _ram = new(0x2000_0100);
    private readonly GuestAddress _isr = new(0x4001_3810);
    private readonly GuestAddress _dr = new(0x4001_3804);

    [GlobalSetup]
    public void Setup()
    {
        var usart = new RegisterBlock("USART1", 0x400,
        [
            new RegisterDefinition("SR", 0x00, 32) { ResetValue = 0xC0 },
            new RegisterDefinition("DR", 0x04, 32) { Fields = [new RegisterField("DR", 0, 9)] },
            new RegisterDefinition("ISR", 0x10, 32) { Fields = [new RegisterField("IRQ", 0, 8) { WriteAction = WriteAction.OneToClear }] },
        ], baseAddress: 0x4001_3800);
        _memory = GuestMemory.Create([GuestRegion.Ram("SRAM", 0x2000_0000, 0x1000), GuestRegion.Mmio("USART1", 0x4001_3800, 0x400, usart)]);
    }

    [GlobalCleanup]
    public void Cleanup() => _memory.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public uint RamLoad()
    {
        uint sum = 0;
        for (int i = 0; i < Operations; i++)
        {
            sum += _memory.ReadUInt32(_ram);
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public void W1cStore()
    {
        for (int i = 0; i < Operations; i++)
        {
            _memory.WriteUInt32(_isr, 1);
        }
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public uint PlainRegisterLoad()
    {
        uint sum = 0;
        for (int i = 0; i < Operations; i++)
        {
            sum += _memory.ReadUInt32(_dr);
        }
        return sum;
    }
}
