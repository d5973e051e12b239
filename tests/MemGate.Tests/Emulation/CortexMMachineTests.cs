using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Emulation;
using MemGate.Peripherals.Arm;
using MemGate.Firmware;
using MemGate.Memory;
using MemGate.Mmio;
using MemGate.Native;

namespace MemGate.Tests.Emulation;

/// <summary>Firmware on Unicorn (libunicorn2, installed by test.sh) running on MemGate memory.</summary>
public sealed class CortexMMachineTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", name);

    [Fact]
    public void The_stm32f103_example_prints_over_usart1_and_exits_through_semihosting()
    {
        var output = new StringWriter();
        using var machine = CortexMMachine.Create(DeviceTemplates.Load("STM32F103"), output);
        FirmwareReader.Load(Fixture("hello.elf")).LoadInto(machine.Memory);
        var result = machine.Run(timeout: TimeSpan.FromSeconds(10));
        Assert.Equal("Hello from STM32F103!\n", output.ToString());
        Assert.Equal((0, "exit"), (result.ExitCode, result.Reason));
        // The engine ran on MemGate's pages: the .data copy the startup code made is visible host-side.
        Assert.Equal(43U, machine.Memory.Main.ReadUInt32(new GuestAddress(0x2000_0000)));
    }

    // Hand-assembled Thumb placed at 0x08000040 behind a two-word vector table (SP, reset).
    private static (RunResult? Result, EmulationFault? Fault, string Output) RunCode(string template, params ushort[] code)
    {
        var output = new StringWriter();
        using var machine = CortexMMachine.Create(DeviceTemplates.Load(template), output);
        var flash = machine.Memory.Main.Debug;
        flash.WriteUInt32(new GuestAddress(0x0800_0000), 0x2000_1000);
        flash.WriteUInt32(new GuestAddress(0x0800_0004), 0x0800_0041);
        for (int i = 0; i < code.Length; i++)
        {
            flash.WriteUInt16(new GuestAddress(0x0800_0040 + 2UL * (ulong)i), code[i]);
        }
        try
        {
            return (machine.Run(maxInstructions: 10_000, timeout: TimeSpan.FromSeconds(10)), null, output.ToString());
        }
        catch (EmulationFault fault)
        {
            return (null, fault, output.ToString());
        }
    }

    // movs r0, #10; loop: subs r0, #1; bne loop; movs r0, #0x18; ldr r1, =0x20026; bkpt 0xAB
    // = 1 + 2 × 10 + 3 = 24 instructions, with 32-bit literal data that must not be counted.
    [Fact]
    public void Instructions_are_counted_exactly_per_block()
    {
        var (result, _, _) = RunCode("STM32F103", 0x200A, 0x3801, 0xD1FD, 0x2018, 0x4900, 0xBEAB, 0x0026, 0x0002);
        Assert.Equal(0, result!.ExitCode);
        Assert.Equal(24UL, result.Instructions);
    }

    // cpsid i; svc 0: an SVC that cannot be taken escalates to HardFault on the part; here the run stops and says so.
    [Fact]
    public void A_masked_svc_stops_the_run_as_the_hardfault_it_would_be()
    {
        var (_, fault, _) = RunCode("STM32F103", 0xB672, 0xDF00, 0xE7FE);
        Assert.NotNull(fault);
        Assert.Contains("SVC while its priority cannot preempt", fault!.Message);
        Assert.Contains("PC 0x08000042", fault.Message);
    }

    // An STM32F103 that boots into `code` (Thumb halfwords) at 0x08000040, with HardFault's vector at 0x08000050.
    private static CortexMMachine Boot(params ushort[] code)
    {
        var machine = CortexMMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
        var flash = machine.Memory.Main.Debug;
        flash.WriteUInt32(new GuestAddress(0x0800_0000), 0x2000_1000);
        flash.WriteUInt32(new GuestAddress(0x0800_0004), 0x0800_0041);
        flash.WriteUInt32(new GuestAddress(0x0800_000C), 0x0800_0051);
        for (int i = 0; i < code.Length; i++)
        {
            flash.WriteUInt16(new GuestAddress(0x0800_0040 + 2UL * (ulong)i), code[i]);
        }
        return machine;
    }

    // A fault inside the HardFault handler is the lockup state (B1.5.15): nothing can take it, the run ends saying so.
    [Fact]
    public void A_fault_in_the_hardfault_handler_locks_up_and_ends_the_run()
    {
        using var machine = Boot(0xDE00);   // udf #0
        machine.Memory.Main.Debug.WriteUInt16(new GuestAddress(0x0800_0050), 0xDE01);   // HardFault: udf #1
        var fault = Assert.Throws<EmulationFault>(() => machine.Run(maxInstructions: 10_000, timeout: TimeSpan.FromSeconds(10)));
        Assert.Contains("PC 0x08000050: undefined instruction; the CPU locks up", fault.Message);
        Assert.Equal(0x0800_0050UL, fault.ProgramCounter & ~1UL);
        // The first fault escalated to HardFault (UsageFault disabled): CFSR.UNDEFINSTR and HFSR.FORCED are set.
        Assert.Equal(1UL << 16, machine.Nvic.ScbBlock.Peek("CFSR"));
        Assert.Equal(1UL << 30, machine.Nvic.ScbBlock.Peek("HFSR"));
    }

    // A BKPT other than semihosting's, with no debugger: it escalates to HardFault (C1.7) with HFSR.DEBUGEVT and
    // DFSR.BKPT, the handler's frame returning to the BKPT (as QEMU's stm32vldiscovery runs it; it ended the run before).
    [Fact]
    public void A_bkpt_without_a_debugger_is_a_hardfault()
    {
        using var machine = Boot(0xBE01);   // bkpt #1
        machine.Memory.Main.Debug.WriteUInt16(new GuestAddress(0x0800_0050), 0xE7FE);   // HardFault: b .
        var result = machine.Run(maxInstructions: 100, timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(RunOutcome.InstructionLimit, result.Outcome);
        Assert.Equal(0x0800_0050UL, machine.ReadRegister(Unicorn.ArmRegPc) & ~1UL);
        Assert.Equal(1UL << 31, machine.Nvic.ScbBlock.Peek("HFSR"));
        Assert.Equal(1UL << 1, machine.Nvic.ScbBlock.Peek("DFSR"));
        Assert.Equal(0UL, machine.Nvic.ScbBlock.Peek("CFSR"));
        ulong sp = machine.ReadRegister(Unicorn.ArmRegSp);
        Assert.Equal(0x0800_0040U, machine.Memory.Main.Debug.ReadUInt32(new GuestAddress(sp + 24)));   // stacked PC: the BKPT
    }

    [Fact]
    public void A_firmware_write_to_flash_is_a_fault_with_pc_and_address()
    {
        // ldr r0, =0x08000100; movs r1, #1; str r1, [r0]; b .
        var (_, fault, _) = RunCode("STM32F103", 0x4801, 0x2101, 0x6001, 0xE7FE, 0x0100, 0x0800);
        Assert.NotNull(fault);
        Assert.Equal((AccessKind.Write, 0x0800_0100UL, 0x0800_0044UL), (fault!.Access, fault.Address, fault.ProgramCounter));
        Assert.Contains("write to read-only memory at 0x08000100", fault.Message);
        Assert.Contains("region 'Flash', r-x", fault.Message);
    }

    // ldr r0, =0x40000001; bx r0: the Peripheral region is execute-never in the default memory map (B3.1): the fetch
    // is a MemManage fault (IACCVIOL), escalated to HardFault while MemManage is disabled, whose handler then runs.
    [Fact]
    public void A_jump_into_execute_never_memory_is_a_memmanage_fault()
    {
        using var machine = Boot(0x4800, 0x4700, 0x0001, 0x4000);
        machine.Memory.Main.Debug.WriteUInt16(new GuestAddress(0x0800_0050), 0xE7FE);   // HardFault: b .
        var result = machine.Run(maxInstructions: 100, timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(RunOutcome.InstructionLimit, result.Outcome);
        Assert.Equal(1UL, machine.Nvic.ScbBlock.Peek("CFSR") & 0xFF);   // MMFSR.IACCVIOL
        Assert.Equal(1UL << 30, machine.Nvic.ScbBlock.Peek("HFSR"));
        Assert.Equal(0x0800_0050UL, machine.ReadRegister(Unicorn.ArmRegPc) & ~1UL);
    }

    // Code copied to SRAM runs; the firmware then writes other code over it, which runs as written:
    // ldr r1, =0x20000100; ldr r2, ="movs r0, #1; bx lr"; ldr r3, ="movs r0, #2; bx lr"; adds r4, r1, #1;
    // str r2, [r1]; blx r4; str r0, [r1, #64]; str r3, [r1]; blx r4; str r0, [r1, #68]; b .
    [Fact]
    public void Code_the_firmware_writes_over_in_sram_runs_as_written()
    {
        using var machine = Boot(0x4905, 0x4A06, 0x4B06, 0x1C4C, 0x600A, 0x47A0, 0x6408, 0x600B, 0x47A0, 0x6448, 0xE7FE, 0x0000);
        var flash = machine.Memory.Main.Debug;
        flash.WriteUInt32(new GuestAddress(0x0800_0058), 0x2000_0100);
        flash.WriteUInt32(new GuestAddress(0x0800_005C), 0x4770_2001);
        flash.WriteUInt32(new GuestAddress(0x0800_0060), 0x4770_2002);
        machine.Run(maxInstructions: 100, timeout: TimeSpan.FromSeconds(10));
        var ram = machine.Memory.Main.Debug;
        Assert.Equal(1U, ram.ReadUInt32(new GuestAddress(0x2000_0140)));
        Assert.Equal(2U, ram.ReadUInt32(new GuestAddress(0x2000_0144)));
    }

    [Fact]
    public void A_jump_into_unmapped_memory_is_a_clear_error()
    {
        // ldr r0, =0x30000001; bx r0
        var (_, fault, _) = RunCode("STM32F103", 0x4800, 0x4700, 0x0001, 0x3000);
        Assert.NotNull(fault);
        Assert.Equal((AccessKind.Execute, 0x3000_0000UL), (fault!.Access, fault.Address));
        Assert.Contains("instruction fetch from unmapped memory at 0x30000000", fault.Message);
    }

    // sadd16 is a DSP instruction: the Cortex-M4 has it, the Cortex-M3 does not. The templates choose the model.
    [Theory]
    [InlineData("STM32F103", false)]
    [InlineData("STM32F407", true)]
    public void The_cpu_model_follows_the_template(string template, bool hasDsp)
    {
        // sadd16 r0, r1, r2; movs r0, #0x18; ldr r1, =0x20026; bkpt 0xAB; b .  (semihosting SYS_EXIT)
        var (result, fault, _) = RunCode(template, 0xFA91, 0xF002, 0x2018, 0x4901, 0xBEAB, 0xE7FE, 0x0026, 0x0002);
        if (hasDsp)
        {
            Assert.Null(fault);
            Assert.Equal(0, result!.ExitCode);
        }
        else
        {
            Assert.NotNull(fault);
            Assert.Equal(0x0800_0040UL, fault!.ProgramCounter);
        }
    }

    // A debugger reads the NVIC, SCB and FPU without 'mmio on' (GDB reads FPCCR to unwind an exception frame; it could
    // not, and backtraces ended at the handler), but not SysTick's CSR, whose read clears COUNTFLAG.
    [Fact]
    public void A_debugger_reads_side_effect_free_system_registers_but_not_others()
    {
        using var machine = CortexMMachine.Create(DeviceTemplates.Load("STM32F407"), TextWriter.Null);
        var word = new byte[4];
        Assert.True(machine.TryReadDebugMemory(0xE000_EF34, word));   // FPCCR: ASPEN and LSPEN set at reset
        Assert.Equal(0xC000_0000u, BitConverter.ToUInt32(word) & 0xC000_0000u);
        Assert.True(machine.TryReadDebugMemory(0xE000_ED00, word));   // CPUID
        Assert.True(machine.TryReadDebugMemory(0xE000_E100, word));   // ISER0
        Assert.False(machine.TryReadDebugMemory(0xE000_E010, word));  // SYST_CSR
        Assert.True(machine.TryReadDebugMemory(0xE000_E010, word, throughPeripherals: true));
    }

    // SYS_ELAPSED reads the machine's time, one instruction a nanosecond: two reads 24 instructions apart differ by 24
    // in every run (QEMU reads the host's clock there).
    [Fact]
    public void Semihosting_elapsed_time_counts_instructions()
    {
        // movs r0, #0x30; ldr r1, =0x20000100; bkpt 0xAB; movs r0, #10; 1: subs r0, #1; bne 1b; movs r0, #0x30;
        // ldr r1, =0x20000108; bkpt 0xAB; movs r0, #0x18; ldr r1, =0x20026; bkpt 0xAB; b .
        ushort[] code = [0x2030, 0x4906, 0xBEAB, 0x200A, 0x3801, 0xD1FD, 0x2030, 0x4904, 0xBEAB, 0x2018, 0x4903, 0xBEAB, 0xE7FE, 0x0000,
            0x0100, 0x2000, 0x0108, 0x2000, 0x0026, 0x0002];
        for (int run = 0; run < 2; run++)
        {
            using var machine = CortexMMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
            var memory = machine.Memory.Main.Debug;
            memory.WriteUInt32(new GuestAddress(0x0800_0000), 0x2000_1000);
            memory.WriteUInt32(new GuestAddress(0x0800_0004), 0x0800_0041);
            for (int i = 0; i < code.Length; i++)
            {
                memory.WriteUInt16(new GuestAddress(0x0800_0040 + 2UL * (ulong)i), code[i]);
            }
            Assert.Equal(0, machine.Run(timeout: TimeSpan.FromSeconds(10)).ExitCode);
            ulong first = memory.ReadUInt64(new GuestAddress(0x2000_0100)), second = memory.ReadUInt64(new GuestAddress(0x2000_0108));
            Assert.InRange(first, 2UL, 3UL);   // the two instructions before the BKPT, and the BKPT itself if counted with its block
            Assert.Equal(24UL, second - first);
        }
    }

    [Fact]
    public void Code_rewritten_by_the_host_runs_new_after_invalidation()
    {
        using var machine = CortexMMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
        // movs r0, #0x18; (ldr r1, [pc, #4] | movs r1, #5); bkpt 0xAB; b .; .word 0x20026  (SYS_EXIT: 0x20026 is success)
        FirmwareImage Program(bool success) => new("inline", FirmwareFormat.Raw,
        [
            new FirmwareSegment(0x0800_0000, [0x00, 0x10, 0x00, 0x20, 0x41, 0x00, 0x00, 0x08], "vectors"),
            new FirmwareSegment(0x0800_0040, [0x18, 0x20, success ? (byte)0x01 : (byte)0x05, success ? (byte)0x49 : (byte)0x21, 0xAB, 0xBE, 0xFE, 0xE7, 0x26, 0x00, 0x02, 0x00], "code"),
        ]);
        machine.Load(Program(success: true));
        Assert.Equal(0, machine.Run(timeout: TimeSpan.FromSeconds(10)).ExitCode);
        machine.Load(Program(success: false));               // an instruction changed: stale translations would still exit 0
        Assert.Equal(1, machine.Run(timeout: TimeSpan.FromSeconds(10)).ExitCode);
    }

    [Fact]
    public void SysTick_interrupts_are_taken_and_returned_from()
    {
        var output = new StringWriter();
        using var machine = CortexMMachine.Create(DeviceTemplates.Load("STM32F103"), output);
        machine.Load(FirmwareReader.Load(Fixture("systick.elf")));
        var result = machine.Run(timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(("ticks: 5\n", 0), (output.ToString(), result.ExitCode));
    }

    // A machine whose reset vector runs `main` (at 0x08000040) and whose SVCall handler is `handler` (at 0x08000060).
    private static CortexMMachine SvcMachine(ushort[] main, ushort[] handler) => VectorMachine("STM32F103", main, handler, 11);

    // A machine of `device` whose reset vector runs `main` (at 0x08000040) and whose exceptions `vectors` go to `handler` (at 0x08000060).
    private static CortexMMachine VectorMachine(string device, ushort[] main, ushort[] handler, params int[] vectors) =>
        VectorMachine(DeviceTemplates.Load(device), new FirmwareMachineOptions(), main, handler, vectors);

    private static CortexMMachine VectorMachine(DeviceDescription device, FirmwareMachineOptions options, ushort[] main, ushort[] handler, params int[] vectors)
    {
        var machine = CortexMMachine.Create(device, TextWriter.Null, options);
        var flash = machine.Memory.Main.Debug;
        flash.WriteUInt32(new GuestAddress(0x0800_0000), 0x2000_1000);
        flash.WriteUInt32(new GuestAddress(0x0800_0004), 0x0800_0041);
        foreach (int vector in vectors)
        {
            flash.WriteUInt32(new GuestAddress(0x0800_0000 + 4UL * (ulong)vector), 0x0800_0061);
        }
        for (int i = 0; i < main.Length; i++)
        {
            flash.WriteUInt16(new GuestAddress(0x0800_0040 + 2UL * (ulong)i), main[i]);
        }
        for (int i = 0; i < handler.Length; i++)
        {
            flash.WriteUInt16(new GuestAddress(0x0800_0060 + 2UL * (ulong)i), handler[i]);
        }
        return machine;
    }

    [Fact]
    public void Svc_enters_its_handler_and_returns_after_the_instruction()
    {
        // main: svc 0; movs r0,#0x18; ldr r1,[pc,#4]; bkpt 0xAB; b .; nop; .word 0x20026   (exits only if SVC returns)
        ushort[] main = [0xDF00, 0x2018, 0x4901, 0xBEAB, 0xE7FE, 0xBF00, 0x0026, 0x0002];
        // handler: ldr r3,[pc,#4]; movs r2,#7; str r2,[r3]; bx lr; .word 0x20000000   (registers R0–R3 are restored on return)
        ushort[] handler = [0x4B01, 0x2207, 0x601A, 0x4770, 0x0000, 0x2000];
        using var machine = SvcMachine(main, handler);
        Assert.Equal(0, machine.Run(timeout: TimeSpan.FromSeconds(10)).ExitCode);
        Assert.Equal(7U, machine.Memory.Main.ReadUInt32(new GuestAddress(0x2000_0000)));
    }

    // YIELD and WFE are hints, not faults, also where guest faults end the run (fuzzing, --mmio-input): the engine reports
    // them as invalid instructions, which ended every fuzz run of firmware with an idle loop around WFE as a crash.
    [Theory]
    [InlineData((ushort)0xBF10, false)]   // yield
    [InlineData((ushort)0xBF20, false)]   // wfe
    [InlineData((ushort)0xBF10, true)]
    [InlineData((ushort)0xBF20, true)]
    public void Yield_and_wfe_run_on_whether_or_not_faults_end_the_run(ushort hint, bool faultsEndRun)
    {
        // main: HINT; movs r0,#0x18; ldr r1,[pc,#4]; bkpt 0xAB; b .; nop; .word 0x20026
        using var machine = VectorMachine("STM32F103", [hint, 0x2018, 0x4901, 0xBEAB, 0xE7FE, 0xBF00, 0x0026, 0x0002], []);
        machine.FaultsEndRun = faultsEndRun;
        Assert.Equal(0, machine.Run(timeout: TimeSpan.FromSeconds(10)).ExitCode);
    }

    // With faults ending the run (fuzzing), a UsageFault (here an unaligned LDREX) is the run's end, not the firmware's
    // handler's (which spun in its loop until the run's limit: a hang instead of a crash); without, the handler takes it.
    [Fact]
    public void With_faults_ending_the_run_a_usage_fault_ends_it_even_with_a_handler()
    {
        // main: ldr r0,[pc,#4]; ldrex r1,[r0]; b .; .word 0x20000001   handler (HardFault and UsageFault): b .
        ushort[] main = [0x4801, 0xE850, 0x1F00, 0xE7FE, 0x0001, 0x2000];
        using (var machine = VectorMachine("STM32F103", main, [0xE7FE], 3, 6))
        {
            machine.FaultsEndRun = true;
            var fault = Assert.Throws<EmulationFault>(() => machine.Run(timeout: TimeSpan.FromSeconds(10)));
            Assert.Contains("unaligned access", fault.Message);
            Assert.Equal(0x0800_0042UL, fault.ProgramCounter & ~1UL);
        }
        using (var machine = VectorMachine("STM32F103", main, [0xE7FE], 3, 6))
        {
            Assert.Equal(RunOutcome.InstructionLimit, machine.Run(maxInstructions: 100).Outcome);
            Assert.Equal(0x0800_0060UL, machine.ReadRegister(Unicorn.ArmRegPc) & ~1UL);   // in the handler
        }
    }

    // An SVC with PRIMASK set cannot preempt: the architecture escalates it to HardFault (B1.5.4); Fuzzware's NVIC
    // (nesting = false) takes it anyway (FORCE_SVC_ACTIVATION), so imported firmware fuzzes as under Fuzzware.
    [Fact]
    public void An_svc_under_primask_escalates_but_fuzzwares_nvic_takes_it()
    {
        // main: cpsid i; svc 0; movs r0,#0x18; ldr r1,[pc,#4]; bkpt 0xAB; b .; .word 0x20026
        ushort[] main = [0xB672, 0xDF00, 0x2018, 0x4901, 0xBEAB, 0xE7FE, 0x0026, 0x0002];
        // handler: ldr r3,[pc,#4]; movs r2,#7; str r2,[r3]; bx lr; .word 0x20000000
        ushort[] handler = [0x4B01, 0x2207, 0x601A, 0x4770, 0x0000, 0x2000];
        foreach (bool nesting in new[] { true, false })
        {
            string text = DeviceTemplates.GetText("STM32F103").Replace("priority_bits = 4\n", $"priority_bits = 4\nnesting = {(nesting ? "true" : "false")}\n", StringComparison.Ordinal);
            var device = DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, "STM32F103.toml");
            using var machine = VectorMachine(device, new FirmwareMachineOptions(), main, handler, 11);
            if (nesting)
            {
                var fault = Assert.Throws<EmulationFault>(() => machine.Run(timeout: TimeSpan.FromSeconds(10)));
                Assert.Contains("escalates to HardFault", fault.Message);
            }
            else
            {
                Assert.Equal(0, machine.Run(timeout: TimeSpan.FromSeconds(10)).ExitCode);
                Assert.Equal(7U, machine.Memory.Main.ReadUInt32(new GuestAddress(0x2000_0000)));
            }
        }
    }

    // The STM32's boot alias at 0 shows flash, and the CPU runs code there (an image linked at 0, a reset vector into
    // the alias), as QEMU does; code written into flash (a debugger's `load`) is what then runs at the alias, even where
    // the CPU translated it before.
    [Fact]
    public void Code_runs_from_the_boot_alias_of_flash_and_sees_flash_rewritten()
    {
        // 0x40: mov r4,pc (r4 = 0x44 when run at the alias); movs r0,#0x18; ldr r1,[pc,#4]; bkpt 0xAB; b .; nop; .word 0x20026
        using (var machine = VectorMachine("STM32F103", [0x467C, 0x2018, 0x4901, 0xBEAB, 0xE7FE, 0xBF00, 0x0026, 0x0002], []))
        {
            machine.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x0800_0004), 0x0000_0041);   // reset into the alias
            Assert.Equal(0, machine.Run(maxInstructions: 100).ExitCode);
            Assert.Equal(0x44UL, machine.ReadRegister(Unicorn.ArmRegR4));
        }
        // 0x40: movs r4,#0; L: adds r4,#1; cmp r4,#10; blt L; movs r0,#0x18; ldr r1,[pc,#4]; bkpt 0xAB; b .; .word 0x20026
        using (var machine = VectorMachine("STM32F103", [0x2400, 0x3401, 0x2C0A, 0xDBFC, 0x2018, 0x4901, 0xBEAB, 0xE7FE, 0x0026, 0x0002], []))
        {
            machine.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x0800_0004), 0x0000_0041);
            Assert.Equal(RunOutcome.InstructionLimit, machine.Run(maxInstructions: 8).Outcome);   // three times round the loop
            Assert.Equal(3UL, machine.ReadRegister(Unicorn.ArmRegR4));
            Assert.True(machine.TryWriteDebugMemory(0x0800_0042, [0x02, 0x34]));   // adds r4,#2, written at flash's address
            Assert.Equal(0, machine.Continue(maxInstructions: 100).ExitCode);
            Assert.Equal(11UL, machine.ReadRegister(Unicorn.ArmRegR4));   // 5, 7, 9, 11: not the loop translated before (10)
        }
    }

    // As QEMU's debugger steps: a step of SVC stops at the handler's first instruction, and a step of the handler's
    // exception return at the instruction after the SVC; never on the machine's own halt page.
    [Fact]
    public void Stepping_into_and_out_of_an_exception_stops_at_the_handler_and_at_the_return_address()
    {
        // main: movs r0,#1; svc 0; movs r0,#2; b .     handler: movs r4,#7; bx lr
        using var machine = SvcMachine([0x2001, 0xDF00, 0x2002, 0xE7FE], [0x2407, 0x4770]);
        machine.AddBreakpoint(0x0800_0042);
        Assert.Equal(RunOutcome.Breakpoint, machine.Run(maxInstructions: 100).Outcome);
        var pcs = new List<ulong>();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(1UL, machine.Step().Instructions);
            pcs.Add(machine.ProgramCounter);
        }
        Assert.Equal([0x0800_0060UL, 0x0800_0062UL, 0x0800_0044UL, 0x0800_0046UL], pcs);
        Assert.Equal((7UL, 2UL), (machine.ReadRegister(Unicorn.ArmRegR4), machine.ReadRegister(Unicorn.ArmRegR0)));
    }

    [Fact]
    public void An_exception_taken_inside_an_it_block_runs_its_handler_outside_it_and_returns_into_it()
    {
        // cmp r0,r0 (Z=1); ite eq; svceq 0; movne r5,#1 (the IT block's rest, skipped after the return);
        // ldr r3,[pc,#8]; str r5,[r3,#4]; movs r0,#0x18; ldr r1,[pc,#8]; bkpt 0xAB; b .; .word 0x20000000; .word 0x20026
        ushort[] main = [0x4280, 0xBF0C, 0xDF00, 0x2501, 0x4B02, 0x605D, 0x2018, 0x4902, 0xBEAB, 0xE7FE, 0x0000, 0x2000, 0x0026, 0x0002];
        // handler: movs r4,#7 (skipped if the IT block's "ne" carried into the handler); ldr r3,[pc,#4]; str r4,[r3]; bx lr; .word 0x20000000
        ushort[] handler = [0x2407, 0x4B01, 0x601C, 0x4770, 0x0000, 0x2000];
        using var machine = SvcMachine(main, handler);
        machine.Memory.Main.WriteUInt32(new GuestAddress(0x2000_0004), 0xFFFF_FFFF);
        Assert.Equal(0, machine.Run(timeout: TimeSpan.FromSeconds(10)).ExitCode);
        Assert.Equal(7U, machine.Memory.Main.ReadUInt32(new GuestAddress(0x2000_0000)));   // the handler's first instruction ran
        Assert.Equal(0U, machine.Memory.Main.ReadUInt32(new GuestAddress(0x2000_0004)));   // movne did not: r5 still 0
    }

    [Fact]
    public void A_stop_point_inside_an_it_block_stops_exactly_there_and_continuing_keeps_the_blocks_conditions()
    {
        // movs r0,#0; cmp r0,r0 (Z=1); ite eq; moveq r1,#1 (the stop point); movne r1,#2 (skipped); b .
        // A hook cannot stop the engine inside an IT block: the machine stops before the block and runs it again up to
        // the stop point as an exit address, where the engine keeps the IT state.
        using var machine = SvcMachine([0x2000, 0x4280, 0xBF0C, 0x2101, 0x2102, 0xE7FE], []);
        machine.StopAt(0x0800_0046, "moveq");
        var stop = machine.Run(maxInstructions: 100);
        Assert.Equal((RunOutcome.Reached, "reached moveq", 3UL), (stop.Outcome, stop.Reason, stop.Instructions));
        Assert.Equal(0x0800_0046UL, machine.ReadRegister(Unicorn.ArmRegPc) & ~1UL);
        Assert.Equal(0UL, machine.ReadRegister(Unicorn.ArmRegR1));
        Assert.Equal(1UL, machine.Step().Instructions);   // moveq: its condition holds
        Assert.Equal((0x0800_0048UL, 1UL), (machine.ReadRegister(Unicorn.ArmRegPc) & ~1UL, machine.ReadRegister(Unicorn.ArmRegR1)));
        var rest = machine.Continue(maxInstructions: 10);   // movne: skipped, as the IT block says
        Assert.Equal((RunOutcome.InstructionLimit, 10UL), (rest.Outcome, rest.Instructions));
        Assert.Equal(1UL, machine.ReadRegister(Unicorn.ArmRegR1));
        // Run again: the same stop, and going on from it runs the rest of the IT block as the CPU would.
        Assert.Equal(RunOutcome.Reached, machine.Run(maxInstructions: 100).Outcome);
        Assert.Equal((RunOutcome.InstructionLimit, 10UL), (machine.Continue(maxInstructions: 10).Outcome, machine.Instructions));
        Assert.Equal(1UL, machine.ReadRegister(Unicorn.ArmRegR1));
        // A limit that falls before the stop point ends the run first.
        var limited = machine.Run(maxInstructions: 2);
        Assert.Equal((RunOutcome.InstructionLimit, 0x0800_0044UL), (limited.Outcome, machine.ReadRegister(Unicorn.ArmRegPc) & ~1UL));
    }

    [Fact]
    public void A_breakpoint_on_the_skipped_instruction_of_an_it_block_stops_there_and_steps_over_it()
    {
        using var machine = SvcMachine([0x2000, 0x4280, 0xBF0C, 0x2101, 0x2102, 0xE7FE], []);
        machine.AddBreakpoint(0x0800_0048);   // movne r1,#2: its condition fails
        var stop = machine.Run(maxInstructions: 100);
        Assert.Equal((RunOutcome.Breakpoint, 4UL), (stop.Outcome, stop.Instructions));
        Assert.Equal((0x0800_0048UL, 1UL), (machine.ProgramCounter, machine.ReadRegister(Unicorn.ArmRegR1)));
        Assert.Equal(1UL, machine.Step().Instructions);
        Assert.Equal((0x0800_004AUL, 1UL), (machine.ProgramCounter, machine.ReadRegister(Unicorn.ArmRegR1)));
    }

    [Fact]
    public void A_stop_point_in_a_block_that_begins_inside_an_it_block_stops_exactly_there()
    {
        // cmp r0,r0 (Z=1); itte eq; svceq 0; addeq r4,#2 (the stop point: after the SVC's return, its translated block
        // begins here, inside the IT block); addne r4,#4 (skipped); b .   Handler: bx lr.
        using var machine = SvcMachine([0x4280, 0xBF06, 0xDF00, 0x3402, 0x3404, 0xE7FE], [0x4770]);
        machine.StopAt(0x0800_0046, "addeq");
        var stop = machine.Run(maxInstructions: 100);
        Assert.Equal((RunOutcome.Reached, "reached addeq", 4UL), (stop.Outcome, stop.Reason, stop.Instructions));
        Assert.Equal(0x0800_0046UL, machine.ReadRegister(Unicorn.ArmRegPc) & ~1UL);
        Assert.Equal(0UL, machine.ReadRegister(Unicorn.ArmRegR4));
        var rest = machine.Continue(maxInstructions: 10);
        Assert.Equal((RunOutcome.InstructionLimit, 10UL), (rest.Outcome, rest.Instructions));
        Assert.Equal(2UL, machine.ReadRegister(Unicorn.ArmRegR4));
    }

    [Fact]
    public void An_fp_instruction_denied_inside_an_it_block_ends_the_run_with_a_clear_fault()
    {
        // CPACR denies FP at reset: cmp r0,r0; it eq; vmoveq.f32 s0,s1 (NOCP, which cannot be taken inside the block); b .
        // HardFault and UsageFault (vectors 3 and 6): b . (taking either would hide the problem).
        using var machine = VectorMachine("STM32F407", [0x4280, 0xBF08, 0xEEB0, 0x0A60, 0xE7FE], [0xE7FE], 3, 6);
        var fault = Assert.Throws<EmulationFault>(() => machine.Run(maxInstructions: 100_000));
        Assert.Contains("0x08000044 inside a Thumb IT block", fault.Message, StringComparison.Ordinal);
        Assert.InRange(machine.Instructions, 2UL, 10UL);   // ended at the next block, not at the limit
    }

    [Fact]
    public void An_fp_instruction_denied_inside_an_it_block_whose_condition_fails_is_skipped_without_a_fault()
    {
        // cmp r0,r0 (Z=1); it ne; vmovne.f32 s0,s1 (condition fails: no NOCP); b .   Fault vectors: b . elsewhere.
        using var machine = VectorMachine("STM32F407", [0x4280, 0xBF18, 0xEEB0, 0x0A60, 0xE7FE], [0xE7FE], 3, 6);
        var result = machine.Run(maxInstructions: 1_000);
        Assert.Equal((RunOutcome.InstructionLimit, 0x0800_0048UL), (result.Outcome, machine.ReadRegister(Unicorn.ArmRegPc) & ~1UL));
        Assert.Equal(0UL, machine.ReadRegister(Unicorn.ArmRegIpsr) & 0x1FF);   // no handler entered
    }

    [Fact]
    public void A_fault_that_ends_the_run_inside_an_it_block_leaves_the_registers_as_the_faulting_instruction_found_them()
    {
        // movs r2,#0x30; lsls r2,r2,#24 (0x30000000, unmapped); movs r3,#0; cmp r0,r0; itt eq; streq r3,[r2] (faults); addeq r3,#5; b .
        using var machine = VectorMachine("STM32F103", [0x2230, 0x0612, 0x2300, 0x4280, 0xBF04, 0x6013, 0x3305, 0xE7FE], [0xE7FE]);
        machine.FaultsEndRun = true;
        var fault = Assert.Throws<EmulationFault>(() => machine.Run(maxInstructions: 100));
        Assert.Equal(0x0800_004AUL, fault.ProgramCounter);
        Assert.Equal((0x0800_004AUL, 0UL), (machine.ReadRegister(Unicorn.ArmRegPc) & ~1UL, machine.ReadRegister(Unicorn.ArmRegR3)));   // addeq did not count
        Assert.Equal(0x400UL, machine.ReadRegister(Unicorn.ArmRegXpsr) & 0x0600_FC00);   // ITT EQ at its first instruction: ITSTATE 0b0000_0100
        // Counted as the same store outside an IT block is (a nop in place of the itt).
        using var plain = VectorMachine("STM32F103", [0x2230, 0x0612, 0x2300, 0x4280, 0xBF00, 0x6013, 0x3305, 0xE7FE], [0xE7FE]);
        plain.FaultsEndRun = true;
        Assert.Throws<EmulationFault>(() => plain.Run(maxInstructions: 100));
        Assert.Equal(plain.Instructions, machine.Instructions);
        // Continuing runs the store again, inside its IT block: the same fault.
        var again = Assert.Throws<EmulationFault>(() => machine.Continue(maxInstructions: 100));
        Assert.Equal(0x0800_004AUL, again.ProgramCounter);
    }

    // Reads of "Fed" take MMIO input; "Plain" reads back what was written. Flash at 0x08000000 (aliased at 0), SRAM at 0x20000000.
    private static DeviceDescription InputDevice() => DeviceConfigReader.Parse("""
            [device]
            name = "ItEnd"
            cpu = "cortex-m3"

            [[regions]]
            name = "Boot"
            guest_address = "0x00000000"
            size = "4KB"
            type = "alias"
            alias_of = "Flash"

            [[regions]]
            name = "Flash"
            guest_address = "0x08000000"
            size = "4KB"
            type = "flash"

            [[regions]]
            name = "SRAM"
            guest_address = "0x20000000"
            size = "4KB"
            type = "ram"

            [[regions]]
            name = "Fed"
            guest_address = "0x40000000"
            size = "4KB"
            type = "mmio"
            unmodelled = "input"

            [[regions]]
            name = "Plain"
            guest_address = "0x50000000"
            size = "4KB"
            type = "mmio"
            unmodelled = "plain"
            """, DeviceConfigFormat.Toml, "it-end.toml");

    [Fact]
    public void An_exception_raised_by_the_rest_of_an_it_block_the_run_ended_in_is_not_taken()
    {
        // ldr r2,=0x40000000; movs r3,#0; cmp r0,r0; itt eq; ldreq r3,[r2] (the input runs out: the run ends); svceq 0; b .;
        // .word 0x40000000. SVCall (11): b .
        ushort[] code = [0x4A03, 0x2300, 0x4280, 0xBF04, 0x6813, 0xDF00, 0xE7FE, 0xBF00, 0x0000, 0x4000];
        using var machine = VectorMachine(InputDevice(), new FirmwareMachineOptions { MmioInput = new MmioInput(ReadOnlyMemory<byte>.Empty) }, code, [0xE7FE], 11);
        Assert.Equal(RunOutcome.InputExhausted, machine.Run(maxInstructions: 100).Outcome);
        var state = machine.CaptureState();
        Assert.Equal(0x0800_0048UL, state.Registers.Single(r => r.Name == "PC").Value & ~1UL);
        Assert.Null(state.Interrupts!.Current);
        Assert.Empty(state.Interrupts.Active);
        Assert.Empty(state.Interrupts.Pending);
    }

    [Fact]
    public void A_run_that_ends_in_a_peripheral_access_inside_an_it_block_leaves_the_cpu_there_and_the_rest_reaches_no_device()
    {
        var device = InputDevice();
        // ldr r2,=0x40000000; ldr r1,=0x50000000; movs r3,#0; cmp r0,r0; ittt eq; ldreq r3,[r2] (the input runs out: the run
        // ends); addeq r4,#5; streq r4,[r1,#0xC]; b .; nop; .word 0x40000000; .word 0x50000000
        ushort[] code = [0x4A04, 0x4905, 0x2300, 0x4280, 0xBF02, 0x6813, 0x3405, 0x60CC, 0xE7FE, 0xBF00, 0x0000, 0x4000, 0x0000, 0x5000];
        using var machine = VectorMachine(device, new FirmwareMachineOptions { MmioInput = new MmioInput(ReadOnlyMemory<byte>.Empty) }, code, [0xE7FE]);
        var result = machine.Run(maxInstructions: 100);
        Assert.Equal(RunOutcome.InputExhausted, result.Outcome);
        Assert.True(machine.Ended);   // as outside an IT block: Continue is refused
        var registers = machine.CaptureState().Registers.ToDictionary(r => r.Name, r => r.Value);
        Assert.Equal((0x0800_004AUL, 0UL), (registers["PC"] & ~1UL, registers["R4"]));   // addeq did not count
        Assert.Equal(0x0400_0000UL, machine.ReadRegister(Unicorn.ArmRegXpsr) & 0x0600_FC00);   // ITTT EQ at its first instruction: ITSTATE 0b0000_0010
        Assert.Equal(0u, machine.Memory.Main.ReadUInt32(new GuestAddress(0x5000_000C)));   // the store after it reached no device
        // Counted as the same read outside an IT block is (a nop in place of the ittt).
        code[4] = 0xBF00;
        using var plain = VectorMachine(device, new FirmwareMachineOptions { MmioInput = new MmioInput(ReadOnlyMemory<byte>.Empty) }, code, [0xE7FE]);
        Assert.Equal(RunOutcome.InputExhausted, plain.Run(maxInstructions: 100).Outcome);
        Assert.Equal(plain.Instructions, machine.Instructions);
    }

    [Fact]
    public void Exception_return_restores_the_interrupted_codes_flags()
    {
        // movs r0,#1 (Z=0); svc 0; beq fail; movs r0,#0x18; ldr r1,[pc,#8]; bkpt; b .; fail: movs r0,#0x18; movs r1,#5; bkpt; .word 0x20026
        // handler: movs r2, #0 (sets Z); bx lr
        using var machine = SvcMachine([0x2001, 0xDF00, 0xD003, 0x2018, 0x4902, 0xBEAB, 0xE7FE, 0x2018, 0x2105, 0xBEAB, 0x0026, 0x0002], [0x2200, 0x4770]);
        Assert.Equal(0, machine.Run(timeout: TimeSpan.FromSeconds(10)).ExitCode);
    }

    [Fact]
    public void Devices_without_a_cortex_m_are_refused_clearly()
    {
        var e = Assert.Throws<NotSupportedException>(() => CortexMMachine.Create(DeviceTemplates.Load("ESP32"), TextWriter.Null));
        Assert.Contains("runs cortex-m3 and cortex-m4", e.Message);
    }
}
