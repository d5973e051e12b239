using System.Buffers.Binary;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Memory;

namespace MemGate.Tests.Emulation;

/// <summary>
/// M profile keeps SP word-aligned (bits [1:0] read as zero whatever is written, ARMv7-M B1.4.1), as QEMU does;
/// the CPU engine alone does not. An odd stack top (ldr sp, =0x2001FFFF in older startup code) made exceptions
/// lose bytes of the stack on return, and the fuzzer reported crashes the firmware does not have.
/// </summary>
public sealed class StackAlignmentTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    // Vector table (SP 0x20001000, reset 0x08000041, SVC 0x08000075), then at 0x08000040:
    //   ldr.w sp, =0x20001FFF; svc #0; push {r0}; mov r2, sp; uxtb r2, r2
    //   ldr r0, =0x20001BFE; mov sp, r0; push {r0}; mov r1, sp; uxtb r1, r1; add r2, r1; lsrs r2, r2, #1
    //   ldr r3, =0x20026; push {r2}; push {r3}; mov r1, sp; movs r0, #0x20; bkpt 0xAB (SYS_EXIT_EXTENDED, code r2)
    // and the SVC handler (bx lr) at 0x08000074. Aligned, both pushes leave SP at ...F8: exit code 0xF8 (QEMU's
    // stm32vldiscovery exits with 248; its SRAM is 8 KiB, hence the addresses).
    private static byte[] Image()
    {
        var image = new byte[0x78];
        BinaryPrimitives.WriteUInt32LittleEndian(image, 0x2000_1000);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(4), 0x0800_0041);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x2C), 0x0800_0075);
        ushort[] code = [0xF8DF, 0xD024, 0xDF00, 0xB401, 0x466A, 0xB2D2, 0x4807, 0x4685, 0xB401, 0x4669, 0xB2C9, 0x440A, 0x0852, 0x4B05, 0xB404, 0xB408,
            0x4669, 0x2020, 0xBEAB, 0xBF00];
        for (int i = 0; i < code.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x40 + 2 * i), code[i]);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x68), 0x2000_1FFF);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x6C), 0x2000_1BFE);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x70), 0x0002_0026);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x74), 0x4770);
        return image;
    }

    private static FirmwareMachine Machine(byte[] image)
    {
        var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
        machine.Memory.Main.Debug.Write(new GuestAddress(0x0800_0000), image);
        return machine;
    }

    private static ulong Sp(FirmwareMachine machine) => machine.Registers.Read(machine.Registers.IndexOf("SP"));

    [Fact]
    public void Writes_of_an_odd_value_to_sp_leave_it_aligned_as_on_qemu_recorded()
    {
        using var machine = Machine(Image());
        Assert.Equal(0xF8, machine.Run(timeout: Limit).ExitCode);
    }

    [SkippableFact]
    public async Task Writes_of_an_odd_value_to_sp_leave_it_aligned_as_on_qemu_now()
    {
        var image = Image();
        int expected = await QemuReference.ExitCodeOfRawImageAsync("STM32F103", image, Limit);
        using var machine = Machine(image);
        Assert.Equal(expected, machine.Run(timeout: Limit).ExitCode);
    }

    [Fact]
    public void Sp_is_aligned_from_reset_and_when_a_run_stops_right_after_writing_it()
    {
        var image = Image();
        BinaryPrimitives.WriteUInt32LittleEndian(image, 0x2000_0FFF);   // an odd initial SP in the vector table
        using var machine = Machine(image);
        machine.ResetHalted();
        Assert.Equal(0x2000_0FFCUL, Sp(machine));
        machine.Run(maxInstructions: 1);   // ldr.w sp, =0x20001FFF, and stop before the next instruction
        Assert.Equal(0x2000_1FFCUL, Sp(machine));
        machine.Continue(maxInstructions: 7);   // svc, the handler's bx lr, push, mov, uxtb, ldr r0, mov sp, r0
        Assert.Equal(0x2000_1BFCUL, Sp(machine));
    }

    // Each SP write gets its hook when its block is first entered, and the block starts again: the restart must not add
    // an edge from the block to itself, or a process's first run covers edges no later run has (a fuzzer's false "new"
    // path); nor lose or add one when the run stops right at the re-entry (a block limit falling on the restarted block).
    [Theory]
    [InlineData(0UL, 5)]   // to the end
    [InlineData(2UL, 4)]   // the limit falls on the third block (at 0x08000046), which its mov sp restarts: it does not start
    public void Hooking_the_sp_writes_on_the_first_run_leaves_the_edges_of_later_runs(ulong blockLimit, int edges)
    {
        using var machine = Machine(Image());
        machine.BlockLimit = blockLimit;
        var map = new byte[1 << 16];
        var runs = new List<string>();
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(map, System.Runtime.InteropServices.GCHandleType.Pinned);
        try
        {
            machine.TraceEdges(handle.AddrOfPinnedObject(), map.Length);
            for (int run = 0; run < 2; run++)
            {
                Array.Clear(map);
                machine.RestartEdges();
                var result = machine.Run(timeout: Limit);
                Assert.Equal(blockLimit == 0 ? RunOutcome.Exit : RunOutcome.BlockLimit, result.Outcome);
                runs.Add(string.Join(' ', map.Select((count, index) => (count, index)).Where(e => e.count != 0).Select(e => $"{e.index:X4}:{e.count}")));
            }
            machine.TraceEdges(0, 0);
        }
        finally
        {
            handle.Free();
        }
        Assert.Equal(edges, runs[1].Split(' ').Length);
        Assert.Equal(runs[1], runs[0]);
    }
}
