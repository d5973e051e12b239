using System.Diagnostics;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Memory;
using MemGate.Native;

namespace MemGate.Tests.Emulation;

/// <summary>The RISC-V and AArch64 virt machines, the machine factory, instruction counts and a comparison with QEMU.</summary>
public sealed class VirtMachineTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", name);

    private static (RunResult Result, string Output, FirmwareMachine Machine) RunExample(string template, string image, TextWriter? error = null)
    {
        var output = new StringWriter();
        var machine = FirmwareMachine.Create(DeviceTemplates.Load(template), output, new FirmwareMachineOptions { ErrorOutput = error });
        machine.Load(FirmwareReader.Load(Fixture(image)));
        return (machine.Run(timeout: TimeSpan.FromSeconds(20)), output.ToString(), machine);
    }

    // Ordinary C: newlib's printf and fprintf(stderr) over semihosting, argv[0], main's return value as the exit code.
    [Fact]
    public void A_newlib_rdimon_program_gets_stdio_argv_and_its_exit_code()
    {
        var error = new StringWriter();
        var (result, output, machine) = RunExample("STM32F103", "printf.elf", error);
        using (machine)
        {
            Assert.Equal("printf from newlib: 2 + 3 = 5\nargc 1, argv[0] ends in printf.elf\n", output);
            Assert.Equal("this line went to stderr\n", error.ToString());
            Assert.Equal((3, "exit"), (result.ExitCode, result.Reason));
        }
    }

    [Theory]
    [InlineData("RV32")]
    [InlineData("RV64")]
    public void The_riscv_example_prints_over_the_ns16550a_takes_three_clint_timer_interrupts_and_exits_through_the_test_device(string template)
    {
        var (result, output, machine) = RunExample(template, $"riscv-virt/hello-{template.ToLowerInvariant()}.elf");
        using (machine)
        {
            Assert.IsType<RiscVMachine>(machine);
            Assert.Equal($"Hello from {template} virt!\nticks: 3\n", output);
            Assert.Equal((0, "exit"), (result.ExitCode, result.Reason));
            // Three ticks of 2000 on the CLINT's clock, which counts instructions and jumps ahead while the
            // CPU sleeps in WFI: far more time than instructions executed.
            Assert.InRange(((RiscVMachine)machine).Clint.Time, 6000UL, 6000UL + 1000);
            Assert.InRange(result.Instructions, 100UL, 2000UL);
        }
    }

    // A reset leaves nothing of the run in the core registers: zero, as QEMU has them (the run left many set).
    [Theory]
    [InlineData("RV32", "riscv-virt/hello-rv32.elf", "x1", 31)]
    [InlineData("RV64", "riscv-virt/hello-rv64.elf", "x1", 31)]
    [InlineData("CortexA53", "a53-virt/hello.elf", "X0", 32)]
    public void A_reset_zeroes_the_core_registers_the_last_run_set(string template, string image, string first, int count)
    {
        var (_, _, machine) = RunExample(template, image);
        using (machine)
        {
            var registers = machine.Registers;
            int at = registers.IndexOf(first);
            Assert.Contains(Enumerable.Range(at, count), i => registers.Read(i) != 0);
            machine.ResetHalted();
            Assert.All(Enumerable.Range(at, count), i => Assert.Equal(0UL, registers.Read(i)));
            if (template == "CortexA53")
            {
                Assert.Equal(0x4000_03C5UL, machine.ReadRegister(Unicorn.Arm64RegPstate));   // EL1h, DAIF masked and Z set, as QEMU's gdbstub shows cpsr
            }
        }
    }

    [Fact]
    public void The_cortex_a53_example_prints_over_the_pl011_and_exits_through_semihosting()
    {
        var (result, output, machine) = RunExample("CortexA53", "a53-virt/hello.elf");
        using (machine)
        {
            Assert.IsType<Aarch64Machine>(machine);
            Assert.Equal("Hello from Cortex-A53 virt!\nfib(90) = 0x27f80ddaa1ba7878\n", output);
            Assert.Equal((0, "exit"), (result.ExitCode, result.Reason));
        }
    }

    [Fact]
    public void The_nvic_example_passes_its_priority_nesting_masking_and_peripheral_interrupt_checks()
    {
        var (result, output, machine) = RunExample("STM32F103", "nvic.elf");
        using (machine)
        {
            Assert.Equal((0, "exit"), (result.ExitCode, result.Reason));
            Assert.DoesNotContain("FAIL", output);
            Assert.Equal(6, output.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
            Assert.Contains("sent from the USART1 interrupt\n", output);
        }
    }

    [Fact]
    public void Two_tasks_on_the_process_stack_switch_through_svc_pendsv_and_systick()
    {
        var (result, output, machine) = RunExample("STM32F103", "tasks.elf");
        using (machine)
        {
            Assert.Equal((0, "exit"), (result.ExitCode, result.Reason));
            Assert.StartsWith("A0 B0 A1 B1 A2 B2 \n", output);
            Assert.Equal(3, output.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
            Assert.DoesNotContain("FAIL", output);
        }
    }

    [Fact]
    public void The_factory_picks_the_machine_for_the_cpu_and_refuses_others_by_name()
    {
        using (var m = FirmwareMachine.Create(DeviceTemplates.Load("STM32F407"), TextWriter.Null))
        {
            Assert.IsType<CortexMMachine>(m);
        }
        using (var m = FirmwareMachine.Create(DeviceTemplates.Load("RV64"), TextWriter.Null))
        {
            Assert.IsType<RiscVMachine>(m);
        }
        var e = Assert.Throws<NotSupportedException>(() => FirmwareMachine.Create(DeviceTemplates.Load("ATmega328"), TextWriter.Null));
        Assert.Contains("'ATmega328'", e.Message);
        Assert.Contains("rv32*/rv64*", e.Message);
    }

    // RISC-V synchronous traps reach the firmware's mtvec: ecall, whose handler reports mcause through the test device.
    [Fact]
    public void An_ecall_is_delivered_to_the_firmware_trap_vector()
    {
        using var machine = RiscVMachine.Create(DeviceTemplates.Load("RV32"), TextWriter.Null);
        uint[] code =
        [
            0x00000297, // auipc t0, 0
            0x01428293, // addi t0, t0, 20      -> handler at +20
            0x30529073, // csrw mtvec, t0
            0x00000073, // ecall
            0x0000006F, // j .                  (never reached)
            0x342022F3, // handler: csrr t0, mcause
            0x01029293, // slli t0, t0, 16
            0x00003337, // lui t1, 3
            0x33330313, // addi t1, t1, 0x333  -> 0x3333
            0x0062E2B3, // or t0, t0, t1
            0x00100337, // lui t1, 0x100
            0x00532023, // sw t0, 0(t1)        -> test device: fail with code = mcause
            0x0000006F, // j .
        ];
        for (int i = 0; i < code.Length; i++)
        {
            machine.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x8000_0000 + 4UL * (ulong)i), code[i]);
        }
        machine.Load(new FirmwareImage("inline", FirmwareFormat.Raw, [], entryPoint: 0x8000_0000));
        var result = machine.Run(timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(11, result.ExitCode);   // mcause 11: environment call from M-mode
    }

    // Firmware that drops to user mode (PMP opened, MPP = U, MRET) and makes an ECALL: the trap is cause 8 with MPP = U, in
    // machine mode, as on QEMU (MemGate gave cause 11 with MPP = M and left the handler in user mode, where it trapped for ever).
    // The handler exits with mcause + 16 × MPP through the test device; QEMU runs the same image.
    [SkippableFact]
    public async Task An_ecall_from_user_mode_traps_to_machine_mode_as_on_qemu()
    {
        uint[] code =
        [
            0x00000297, 0x04028293, 0x30529073,   // mtvec = handler
            0x00000317, 0x02C30313, 0x34131073,   // mepc = user code
            0x000023B7, 0x80038393, 0x3003B073,   // mstatus.MPP = U
            0xFFF00E13, 0x3B0E1073, 0x01F00E13, 0x3A0E1073,   // PMP entry 0: all memory, RWX (QEMU refuses MRET to U without one)
            0x30200073,                           // mret
            0x00000073, 0x0000006F,               // user: ecall; j .
            0x342022F3, 0x300023F3, 0x00B3D393, 0x0033F393, 0x00439393, 0x007282B3,   // t0 = mcause + 16 × MPP
            0x01029293, 0x00003337, 0x33330313, 0x0062E2B3, 0x00100337, 0x00532023, 0x0000006F,   // test device: fail with code t0
        ];
        byte[] image = code.SelectMany(BitConverter.GetBytes).ToArray();
        using var rv = RiscVMachine.Create(DeviceTemplates.Load("RV32"), TextWriter.Null);
        rv.Load(new FirmwareImage("user.bin", FirmwareFormat.Raw, [new FirmwareSegment(0x8000_0000, image, "code")], entryPoint: 0x8000_0000));
        var result = rv.Run(maxInstructions: 10_000, timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(8, result.ExitCode);
        Assert.Equal(8, await QemuReference.ExitCodeOfRawImageAsync("RV32", image, TimeSpan.FromSeconds(30)));
    }

    // rdtime reads the CLINT's MTIME (instructions since reset), as QEMU's virt provides the time CSR; the engine alone
    // took it for an illegal instruction.
    [Fact]
    public void Riscv_rdtime_reads_the_clints_mtime()
    {
        using var rv = RiscVMachine.Create(DeviceTemplates.Load("RV32"), TextWriter.Null);
        uint[] code = [0x00000013, 0x00000013, 0x00000013, 0xC01022F3, 0xC0102373, 0x10500073];   // nop ×3; rdtime t0; rdtime t1; wfi
        for (int i = 0; i < code.Length; i++)
        {
            rv.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x8000_0000 + 4UL * (ulong)i), code[i]);
        }
        rv.Load(new FirmwareImage("inline", FirmwareFormat.Raw, [], entryPoint: 0x8000_0000));
        Assert.Equal(RunOutcome.Idle, rv.Run(timeout: TimeSpan.FromSeconds(10)).Outcome);
        ulong t0 = rv.Registers.Read(rv.Registers.IndexOf("t0")), t1 = rv.Registers.Read(rv.Registers.IndexOf("t1"));
        Assert.InRange(t0, 3UL, 4UL);
        Assert.Equal(t0 + 1, t1);
    }

    // The same typed faults on the other machines: a store to the RV32 board's flash (r-x) and a jump into
    // the A53 board's peripheral space (rw-, not executable).
    [Fact]
    public void Faults_on_riscv_and_aarch64_carry_pc_address_and_access()
    {
        using (var rv = RiscVMachine.Create(DeviceTemplates.Load("RV32"), TextWriter.Null))
        {
            rv.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x8000_0000), 0x200002B7);   // lui t0, 0x20000
            rv.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x8000_0004), 0x0002A023);   // sw zero, 0(t0)
            rv.Load(new FirmwareImage("inline", FirmwareFormat.Raw, [], entryPoint: 0x8000_0000));
            var fault = Assert.Throws<EmulationFault>(() => rv.Run(timeout: TimeSpan.FromSeconds(10)));
            Assert.Equal((AccessKind.Write, 0x2000_0000UL, 0x8000_0004UL), (fault.Access, fault.Address, fault.ProgramCounter));
            Assert.Contains("region 'Flash', r-x", fault.Message);
        }
        using (var a53 = Aarch64Machine.Create(DeviceTemplates.Load("CortexA53"), TextWriter.Null))
        {
            a53.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x4000_0000), 0xD2A12000);   // mov x0, #0x09000000
            a53.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x4000_0004), 0xD61F0000);   // br x0
            a53.Load(new FirmwareImage("inline", FirmwareFormat.Raw, [], entryPoint: 0x4000_0000));
            var fault = Assert.Throws<EmulationFault>(() => a53.Run(timeout: TimeSpan.FromSeconds(10)));
            Assert.Equal((AccessKind.Execute, 0x0900_0000UL), (fault.Access, fault.Address));
        }
    }

    // fflags, frm and fcsr as a debugger reads and writes them while the firmware has the FPU off (mstatus.FS 0): Unicorn's
    // access went through the CSR instructions' check, which refused it and left the value unset (garbage) or unwritten.
    [Fact]
    public void RiscV_floating_point_csrs_read_and_write_while_the_fpu_is_off()
    {
        using var rv = RiscVMachine.Create(DeviceTemplates.Load("RV64"), TextWriter.Null);
        ulong mstatus = rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegMstatus);
        Assert.Equal(0UL, mstatus & (3UL << 13));
        Assert.Equal((0UL, 0UL, 0UL), (rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegFflags), rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegFrm),
            rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegFcsr)));
        rv.WriteRegister(MemGate.Native.Unicorn.RiscvRegFcsr, 0x21);
        Assert.Equal((1UL, 1UL, 0x21UL), (rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegFflags), rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegFrm),
            rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegFcsr)));
        Assert.Equal(mstatus, rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegMstatus));   // the firmware's FPU stays off

        // Stopped in user mode: machine-mode CSRs as in machine mode (they read as garbage, and writes were lost), the mode kept.
        rv.WriteRegister(MemGate.Native.Unicorn.RiscvRegPriv, 0);
        Assert.Equal(mstatus, rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegMstatus));
        rv.WriteRegister(MemGate.Native.Unicorn.RiscvRegMepc, 0x8000_1234);
        Assert.Equal(0x8000_1234UL, rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegMepc));
        Assert.Equal(0x21UL, rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegFcsr));
        Assert.Equal(0UL, rv.ReadRegister(MemGate.Native.Unicorn.RiscvRegPriv));
    }

    // AArch64 semihosting's clocks are the generic counter's: SYS_TICKFREQ is CNTFRQ_EL0 and SYS_ELAPSED a count CNTVCT_EL0 agrees with.
    [Fact]
    public void Aarch64_semihosting_clocks_are_the_generic_counter()
    {
        using var a53 = Aarch64Machine.Create(DeviceTemplates.Load("CortexA53"), TextWriter.Null);
        uint[] code =
        [
            0xD2800620, // mov x0, #0x31        SYS_TICKFREQ
            0xD45E0000, // hlt #0xf000
            0xD2A80021, // mov x1, #0x40010000
            0xF9000020, // str x0, [x1]
            0xD53BE002, // mrs x2, cntfrq_el0
            0xF9000422, // str x2, [x1, #8]
            0xD2800600, // mov x0, #0x30        SYS_ELAPSED into [x1]
            0x91004021, // add x1, x1, #16
            0xD45E0000, // hlt #0xf000
            0xD53BE043, // mrs x3, cntvct_el0
            0xF9000423, // str x3, [x1, #8]
            0xD503207F, // wfi                  (nothing wakes it: the run ends)
        ];
        for (int i = 0; i < code.Length; i++)
        {
            a53.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x4000_0000 + 4UL * (ulong)i), code[i]);
        }
        a53.Load(new FirmwareImage("inline", FirmwareFormat.Raw, [], entryPoint: 0x4000_0000));
        a53.Run(timeout: TimeSpan.FromSeconds(10));
        ulong Word(ulong offset) => a53.Memory.Main.Debug.ReadUInt64(new GuestAddress(0x4001_0000 + offset));
        Assert.Equal((62_500_000UL, 62_500_000UL), (Word(0), Word(8)));
        Assert.InRange(Word(24) - Word(16), 1UL, 3UL);   // CNTVCT read two instructions after SYS_ELAPSED (counted with their block)
        Assert.InRange(Word(16), 8UL, 9UL);
    }

    // PSCI CPU_OFF over HVC turns off the only CPU: nothing runs after it and the run ends as idle, naming the call.
    [Fact]
    public void Psci_cpu_off_of_the_only_cpu_ends_the_run_idle()
    {
        using var a53 = Aarch64Machine.Create(DeviceTemplates.Load("CortexA53"), TextWriter.Null);
        uint[] code =
        [
            0xD2B08000, // mov x0, #0x84000000
            0x91000800, // add x0, x0, #2       CPU_OFF
            0xD4000002, // hvc #0
            0xD2800E21, // mov x1, #0x71        (never runs)
        ];
        for (int i = 0; i < code.Length; i++)
        {
            a53.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x4000_0000 + 4UL * (ulong)i), code[i]);
        }
        a53.Load(new FirmwareImage("inline", FirmwareFormat.Raw, [], entryPoint: 0x4000_0000));
        var result = a53.Run(timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(RunOutcome.Idle, result.Outcome);
        Assert.Contains("PSCI CPU_OFF at 0x40000008", result.Reason);
        Assert.Equal((3UL, 0UL), (result.Instructions, a53.Registers.Read(a53.Registers.IndexOf("x1"))));
    }

    // WFI with nothing that could wake the CPU (AArch64: no interrupt sources) ends the run saying so, not as a plain stop.
    [Fact]
    public void A_wait_for_interrupt_that_nothing_can_end_is_reported_as_idle()
    {
        using var a53 = Aarch64Machine.Create(DeviceTemplates.Load("CortexA53"), TextWriter.Null);
        a53.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x4000_0000), 0xD503207F);   // wfi
        a53.Memory.Main.Debug.WriteUInt32(new GuestAddress(0x4000_0004), 0x14000000);   // b .
        a53.Load(new FirmwareImage("inline", FirmwareFormat.Raw, [], entryPoint: 0x4000_0000));
        var result = a53.Run(timeout: TimeSpan.FromSeconds(10));
        Assert.Null(result.ExitCode);
        Assert.StartsWith("idle: the CPU waits for an interrupt (WFI at 0x40000000)", result.Reason);   // the WFI, not the PC after it
    }

    // A device that leaves no page for the halt address: the construction fails with the reason, and the
    // half-built engine is released (a second attempt behaves the same, nothing is left mapped or pinned).
    [Fact]
    public void A_device_without_room_for_the_halt_page_is_refused_by_name()
    {
        var device = new DeviceDescription("Full", [new DeviceRegion("RAM", 0, 0x1_0000_0000, Permissions.All, DeviceRegionType.Ram, DeviceDescription.DefaultSpace)],
            architecture: "rv32imac", cpu: "generic-rv32");
        for (int attempt = 0; attempt < 2; attempt++)
        {
            var e = Assert.Throws<NotSupportedException>(() => FirmwareMachine.Create(device, TextWriter.Null));
            Assert.Contains("'Full' leaves no free page for the run's halt address", e.Message);
        }
    }

    // Where QEMU is installed (test.sh installs it), the STM32F103 examples print the same on QEMU's
    // stm32vldiscovery board (an STM32F100: same core, USART1 and SysTick) with semihosting.
    [SkippableTheory]
    [InlineData("hello.elf")]
    [InlineData("systick.elf")]
    [InlineData("tasks.elf")]
    [InlineData("printf.elf")]
    public async Task Examples_print_the_same_as_on_qemu(string image)
    {
        string qemu = Requires.Program("qemu-system-arm");
        var info = new ProcessStartInfo(qemu, ["-M", "stm32vldiscovery", "-kernel", Fixture(image), "-nographic", "-semihosting", "-monitor", "none", "-serial", "stdio"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        using var process = Process.Start(info)!;
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string fromQemu;
        try
        {
            fromQemu = await process.StandardOutput.ReadToEndAsync(limit.Token);
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);   // as QemuReference does: a QEMU left running outlives the test
            throw new TimeoutException($"{qemu} did not finish within 30 s.");
        }
        var (result, output, machine) = RunExample("STM32F103", image, TextWriter.Null);
        machine.Dispose();
        Assert.Equal(process.ExitCode, result.ExitCode);
        Assert.Equal(fromQemu.ReplaceLineEndings("\n"), output);
    }
}
