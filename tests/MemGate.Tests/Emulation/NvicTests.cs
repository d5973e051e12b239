using CsCheck;
using MemGate.Emulation;
using MemGate.Peripherals.Arm;

namespace MemGate.Tests.Emulation;

public sealed class NvicTests
{
    private const ulong Iser = 0x000, Ispr = 0x100, Icer = 0x080, Iabr = 0x200, Ipr = 0x300;

    // Random interrupt set-ups written through the registers (word-wide ISER/ISPR, byte-wide IPR, SHPR3,
    // AIRCR) against a plain model of the choice: the pending and enabled exception of highest priority
    // (lowest number on a tie) is taken when its group priority beats the running priority (-1 under FAULTMASK).
    [Fact]
    public void The_exception_taken_is_the_one_a_simple_model_picks()
    {
        var irq = Gen.Select(Gen.Int[0, 59], Gen.Byte, Gen.Bool, Gen.Bool, Gen.Bool);
        Gen.Select(irq.Array[0, 12], Gen.Select(Gen.Bool, Gen.Byte, Gen.Int[0, 7], Gen.Byte, Gen.Bool), Gen.Bool).Sample((irqs, masks, faultmask) =>
        {
            var (primask, basepri, group, sysTickPriority, sysTickPending) = masks;
            var nvic = new Nvic(60, priorityBits: 4);
            nvic.ScbBlock.Write(0x0C, 4, 0x05FA_0000UL | ((ulong)group << 8));
            nvic.ScbBlock.Write(0x20, 4, (ulong)sysTickPriority << 24);
            var model = new Dictionary<int, (int Priority, bool Enabled, bool Pending, bool Active)>();
            if (sysTickPending)
            {
                nvic.Pend(Nvic.SysTick);
            }
            model[Nvic.SysTick] = (sysTickPriority & 0xF0, true, sysTickPending, false);
            foreach (var (n, priority, enabled, pending, active) in irqs.DistinctBy(i => i.Item1))
            {
                int number = Nvic.FirstExternal + n;
                nvic.NvicBlock.Write(Ipr + (ulong)n, 1, priority);
                nvic.NvicBlock.Write((enabled ? Iser : Icer) + 4 * (ulong)(n / 32), 4, 1UL << (n % 32));
                if (pending)
                {
                    nvic.NvicBlock.Write(Ispr + 4 * (ulong)(n / 32), 4, 1UL << (n % 32));
                }
                if (active)
                {
                    nvic.Enter(number);
                }
                // Enter clears pending: the model follows the same order of events.
                model[number] = (priority & 0xF0, enabled, pending && !active, active);
            }

            int Group(int p) => p & (0xFF << (group + 1)) & 0xFF;
            int running = model.Values.Where(v => v.Active).Select(v => Group(v.Priority)).DefaultIfEmpty(256).Min();
            if ((basepri & 0xF0) != 0)
            {
                running = Math.Min(running, Group(basepri & 0xF0));
            }
            if (primask)
            {
                running = 0;
            }
            if (faultmask)
            {
                running = -1;
            }
            var candidates = model.Where(e => e.Value.Pending && e.Value.Enabled).OrderBy(e => e.Value.Priority).ThenBy(e => e.Key).ToList();
            int expected = candidates.Count > 0 && Group(candidates[0].Value.Priority) < running ? candidates[0].Key : 0;

            Assert.Equal(expected, nvic.NextToTake(primask, basepri, faultmask));
            foreach (var (number, state) in model.Where(e => e.Key >= Nvic.FirstExternal))
            {
                int n = number - Nvic.FirstExternal;
                Assert.Equal(state.Priority, (int)nvic.NvicBlock.Read(Ipr + (ulong)n, 1));
                Assert.Equal(state.Enabled, ((nvic.NvicBlock.Read(Iser + 4 * (ulong)(n / 32), 4) >> (n % 32)) & 1) == 1);
                Assert.Equal(state.Active, ((nvic.NvicBlock.Read(Iabr + 4 * (ulong)(n / 32), 4) >> (n % 32)) & 1) == 1);
            }
        });
    }

    [Fact]
    public void Aircr_needs_its_key_and_stir_pends_only_existing_interrupts()
    {
        var nvic = new Nvic(60, priorityBits: 4);
        nvic.ScbBlock.Write(0x0C, 4, 0x0000_0500);   // no VECTKEY: ignored
        Assert.Equal(0xFA05_0000UL, nvic.ScbBlock.Read(0x0C, 4));
        nvic.ScbBlock.Write(0x0C, 4, 0x05FA_0300);
        Assert.Equal(0xFA05_0300UL, nvic.ScbBlock.Read(0x0C, 4));
        nvic.StirBlock.Write(0, 4, 59);
        nvic.StirBlock.Write(0, 4, 60);              // beyond the part's 60 lines: nothing
        Assert.True(nvic.IsPending(Nvic.FirstExternal + 59));
        Assert.False(nvic.IsPending(Nvic.FirstExternal + 60));
        Assert.Throws<ArgumentOutOfRangeException>(() => nvic.SetPending(60));
        // ICSR shows the pending vector and ISRPENDING.
        ulong icsr = nvic.ScbBlock.Read(0x04, 4);
        Assert.Equal(0UL, (icsr >> 12) & 0x1FF);      // not enabled yet: nothing to show as VECTPENDING
        Assert.Equal(1UL, (icsr >> 22) & 1);
    }

    [Fact]
    public void A_level_sensitive_line_pends_again_after_return_while_it_stays_asserted()
    {
        var nvic = new Nvic(60, priorityBits: 4);
        int n = Nvic.FirstExternal + 37;
        nvic.NvicBlock.Write(Iser + 4, 4, 1UL << 5);   // enable IRQ 37
        nvic.SetLevel(37, true);
        Assert.Equal(n, nvic.NextToTake(false, 0));
        nvic.Enter(n);
        Assert.False(nvic.IsPending(n));
        nvic.Leave(n);                                  // still asserted: pending again
        Assert.Equal(n, nvic.NextToTake(false, 0));
        nvic.Enter(n);
        nvic.SetLevel(37, false);                       // the handler cleared the cause
        nvic.Leave(n);
        Assert.Equal(0, nvic.NextToTake(false, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => nvic.SetLevel(60, true));
    }

    // ICTR tells how many groups of 32 lines the NVIC has (STM32F103: 60 lines, F407: 82); CPUID is the part's core.
    [Theory]
    [InlineData("STM32F103", 1, 0x411F_C231u)]
    [InlineData("STM32F407", 2, 0x410F_C241u)]
    [InlineData("STM32F429", 2, 0x410F_C241u)]
    public void Ictr_counts_the_interrupt_lines_and_cpuid_names_the_core(string template, uint lineGroups, uint cpuid)
    {
        using var machine = FirmwareMachine.Create(MemGate.Devices.DeviceTemplates.Load(template), TextWriter.Null);
        var main = machine.Memory.Main;
        Assert.Equal(lineGroups, main.ReadUInt32(new MemGate.Memory.GuestAddress(0xE000_E004)) & 0xF);
        Assert.Equal(cpuid, main.ReadUInt32(new MemGate.Memory.GuestAddress(0xE000_ED00)));
        main.WriteUInt32(new MemGate.Memory.GuestAddress(0xE000_E008), 0x7);   // ACTLR: timing bits only, ignored
        Assert.Equal(0u, main.ReadUInt32(new MemGate.Memory.GuestAddress(0xE000_E008)));
    }
}
