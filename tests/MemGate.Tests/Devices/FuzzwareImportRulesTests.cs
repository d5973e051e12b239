using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Devices.Import;
using MemGate.Emulation;
using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Tests.Devices;

/// <summary>Fuzzware's and HALucinator's own rules for files, entry regions and YAML, as their importers must follow them.</summary>
public sealed class FuzzwareImportRulesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("memgate-import-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private string Binary(string name, int length)
    {
        string path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7);
        }
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void A_memory_map_without_the_system_control_space_gets_an_mmio_region_for_it_and_validates()
    {
        Binary("scs/fw.bin", 4096);
        string config = Write("scs/config.yml", """
            memory_map:
              text: {base_addr: 0x08000000, size: 0x10000, permissions: r-x, file: fw.bin}
              ram: {base_addr: 0x20000000, size: 0x5000, permissions: rw-}
              mmio: {base_addr: 0x40000000, size: 0x10000000, permissions: rw-}
            """);
        var device = FuzzwareImporter.Import(config);
        var scs = Assert.Single(device.Regions, r => r.Name == "scs");
        Assert.Equal((0xE000_E000UL, 0x1000UL, DeviceRegionType.Mmio), (scs.Start, scs.Size, scs.Type));
        Assert.Contains(device.Warnings, w => w.Message.Contains("added mmio region 'scs'", StringComparison.Ordinal));
        Assert.Empty(MemGate.Peripherals.PeripheralRegistry.Default.Check(device));
        // A map with its own nvic region (as Fuzzware's examples have) keeps it and gets nothing added.
        string mapped = Write("nvic/config.yml", """
            memory_map:
              ram: {base_addr: 0x20000000, size: 0x5000, permissions: rw-}
              nvic: {base_addr: 0xe0000000, size: 0x10000000, permissions: rw-}
            """);
        Assert.DoesNotContain(FuzzwareImporter.Import(mapped).Regions, r => r.Name == "scs");
    }

    // ELF symbol lists name static functions twice; a model at such a name is left out saying why (it was an internal
    // error), a trigger's line past the NVIC's is left out too (it was imported, and failed the run).
    [Fact]
    public void A_name_of_two_symbols_and_an_irq_past_the_nvic_are_left_out_with_warnings()
    {
        string config = Write("dup/config.yml", """
            memory_map:
              ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}
              mmio: {base_addr: 0x40000000, size: 0x10000, permissions: rw-}
            symbols:
              0x08000101: main
              0x08000201: main
              0x08000301: poll
            mmio_models:
              constant:
                m1: {addr: 0x4000c014, pc: poll, val: 3}
                m2: {addr: main, val: 1}
                m3: {addr: 0x4000c018}
                m4: {addr: 0x4000c01c, pc: main, val: 2}
            use_nvic: true
            interrupt_triggers:
              big: {every_nth_tick: 1000, irq: 300}
              ok: {every_nth_tick: 1000, irq: 255}
              nowhere: {addr: nosym, irq: 20}
              twice: {addr: main, irq: 20}
            """);
        var device = FuzzwareImporter.Import(config);
        Assert.Equal(2, device.MmioModels.Count);
        var model = device.MmioModels[0];
        Assert.Equal((0x4000_C014UL, 0x0800_0301UL), (model.Address, model.Pc!.Value | 1));
        Assert.Contains(device.Warnings, w => w.Field == "mmio_models.constant.m3.val" && w.Message.Contains("without val", StringComparison.Ordinal));
        Assert.Contains(device.Warnings, w => w.Field == "mmio_models.constant.m4.pc" && w.Message.Contains("is the name of several symbols", StringComparison.Ordinal));
        Assert.Contains(device.Warnings, w => w.Field == "interrupt_triggers.nowhere.addr" && w.Location!.Value.Line > 0);   // the import failed, unlocated
        Assert.Contains(device.Warnings, w => w.Field == "interrupt_triggers.twice.addr" && w.Message.Contains("several symbols", StringComparison.Ordinal));
        Assert.Contains(device.Warnings, w => w.Field == "mmio_models.constant.m2" && w.Message.Contains("'main' is the name of several symbols", StringComparison.Ordinal));
        Assert.Equal(239, Assert.Single(device.InterruptTriggers).Irq);
        Assert.Contains(device.Warnings, w => w.Field == "interrupt_triggers.big.irq" && w.Message.Contains("past the NVIC's 240", StringComparison.Ordinal));
        Assert.Empty(MemGate.Peripherals.PeripheralRegistry.Default.Check(device));
    }

    [Fact]
    public void Limits_are_imported_into_the_device_and_what_has_no_counterpart_is_named()
    {
        string config = Write("lim/config.yml", """
            memory_map:
              ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}
            limits:
              translation_blocks: 2000000
              interrupts: 0
              fuzz_consumption_timeout: 50000
              trace_events: 100
            """);
        var device = FuzzwareImporter.Import(config);
        Assert.Equal(new DeviceLimits(2_000_000, 0, 50_000), device.Limits);
        var warning = Assert.Single(device.Warnings, w => w.Field.StartsWith("limits", StringComparison.Ordinal));
        Assert.Equal("limits.trace_events", warning.Field);
        Assert.Contains("limits", DeviceConfigWriter.Write(device, DeviceConfigFormat.Toml), StringComparison.Ordinal);

        string bad = Write("bad/config.yml", """
            memory_map:
              ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}
            limits:
              translation_blocks: lots
            """);
        var e = Assert.Throws<DeviceDescriptionException>(() => FuzzwareImporter.Import(bad));
        var error = Assert.Single(e.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("limits.translation_blocks", error.Field);
        Assert.Equal(4, error.Location!.Value.Line);
    }

    [Fact]
    public void A_wildcard_resolves_to_its_one_match_and_the_written_device_loads_from_another_folder()
    {
        Binary("fw/firmware-v1.bin", 0x400);
        string config = Write("fw/config.yml", """
            memory_map:
              text: {base_addr: 0x8000000, size: 0x1000, file: '*.bin', permissions: r-x}
              ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}
              mmio: {base_addr: 0x40000000, size: 0x1000, permissions: rw-}
            """);
        var device = FuzzwareImporter.Import(config);
        Assert.Equal(Path.Combine(_dir, "fw", "firmware-v1.bin"), device.FindRegion("text")!.InitFile);
        Assert.Equal(0x0800_0000UL, device.Boot.VectorTable);   // the only file-backed region is the entry region

        // Written elsewhere, the device names the file relative to where it is written.
        string output = Path.Combine(_dir, "out", "device.toml");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        DeviceConfigWriter.Save(device.WithFilesRelativeTo(Path.GetDirectoryName(output)!, _dir), output);
        var loaded = DeviceConfigReader.Load(output);
        Assert.Equal(Path.Combine("..", "fw", "firmware-v1.bin"), loaded.FindRegion("text")!.InitFile);
        using var memory = DeviceMemory.Allocate(loaded, Path.GetDirectoryName(output));
        Assert.Equal(7, memory.Main.ReadByte(new GuestAddress(0x0800_0001)));
    }

    [Fact]
    public void A_wildcard_matching_two_files_or_none_is_an_error_naming_them()
    {
        Binary("a.bin", 16);
        Binary("b.bin", 16);
        string config = Write("config.yml", "memory_map:\n  text: {base_addr: 0x8000000, size: 0x1000, file: '*.bin'}\n");
        var e = Assert.Throws<DeviceDescriptionException>(() => FuzzwareImporter.Import(config));
        Assert.Contains("matches 2 files (a.bin, b.bin)", e.Message, StringComparison.Ordinal);
        string none = Write("none.yml", "memory_map:\n  text: {base_addr: 0x8000000, size: 0x1000, file: '*.hex'}\n");
        e = Assert.Throws<DeviceDescriptionException>(() => FuzzwareImporter.Import(none));
        Assert.Contains("matches no file", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, e.Diagnostics[0].Location!.Value.Line);
    }

    [Fact]
    public void A_file_larger_than_its_region_gives_the_region_its_first_bytes_after_load_offset_as_fuzzware_reads_them()
    {
        Binary("split.bin", 0x3000);
        string config = Write("config.yml", """
            memory_map:
              text: {base_addr: 0x8000000, size: 0x1000, file: split.bin, load_offset: 0x100, is_entry: true}
              more: {base_addr: 0x8001000, size: 0x2000, file: split.bin, file_offset: 0x1000}
              ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}
            """);
        var device = FuzzwareImporter.Import(config);
        var text = device.FindRegion("text")!;
        Assert.Equal((0xF00UL, 0x100UL), (text.FileSize!.Value, text.LoadOffset));
        Assert.Contains(device.Warnings, w => w.Message.Contains("takes the first 0xF00", StringComparison.Ordinal));
        using var memory = DeviceMemory.Allocate(device, _dir);
        Assert.Equal(0, memory.Main.ReadByte(new GuestAddress(0x0800_0000)));                 // before load_offset
        Assert.Equal(7, memory.Main.ReadByte(new GuestAddress(0x0800_0101)));                 // file byte 1
        Assert.Equal(unchecked((byte)(0x1001 * 7)), memory.Main.ReadByte(new GuestAddress(0x0800_1001))); // file byte 0x1001
    }

    [Fact]
    public void Overlays_and_behaviour_device_files_cannot_hold_are_named_in_warnings()
    {
        string config = Write("config.yml", """
            memory_map:
              ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}
              mmio_dma: {base_addr: 0x20000100, size: 0x40, overlay: true}
            entry_point: 0x20000001
            initial_sp: 0x20000800
            handlers:
              printf: {}
              puts: {handler: fuzzware_harness.user_hooks.generic.stdio.puts, do_return: False}
              init: {addr: 0x20000020, handler: native.return_0x1}
            exit_at:
              fail: 0x20000010
              end: nosuch
            timers:
              t: {reload_val: 0x1000}
            symbols:
              0x20000030: printf
            """);
        var device = FuzzwareImporter.Import(config);
        Assert.Equal(["ram", "mmio_dma", "ram_after_mmio_dma"], device.Regions.Select(r => r.Name).Where(n => n != "scs"));
        Assert.Contains(device.Warnings, w => w.Message.Contains("overlay region 'mmio_dma' [0x20000100, 0x20000140) is served from the fuzz input inside region 'ram'", StringComparison.Ordinal));
        Assert.Equal(
        [
            new DeviceHook("0x20000010", DeviceHookAction.Stop),
            new DeviceHook("printf", DeviceHookAction.Return),
            new DeviceHook("0x20000020", DeviceHookAction.Return) { ReturnValue = 1 },
        ], device.Hooks);
        Assert.Contains(device.Warnings, w => w.Field == "handlers.puts");   // Python
        Assert.Contains(device.Warnings, w => w.Field == "timers" && w.Location!.Value.Line == 14);
        // A name the configuration's symbols do not give could never be hooked: left out, saying where.
        Assert.Contains(device.Warnings, w => w.Field == "exit_at.end" && w.Location!.Value.Line == 12 && w.Message.Contains("'nosuch'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_configuration_without_memory_is_an_error()
    {
        string config = Write("config.yml", "symbols:\n  0x8000000: main\n");
        var e = Assert.Throws<DeviceDescriptionException>(() => FuzzwareImporter.Import(config));
        Assert.Equal("memory_map", Assert.Single(e.Diagnostics).Field);
    }

    [Fact]
    public void A_key_given_twice_keeps_its_last_value_with_a_warning_as_pyyaml_does()
    {
        string config = Write("config.yml", """
            memory_map:
              ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}
              ram: {base_addr: 0x30000000, size: 0x1000, permissions: rw-}
            """);
        var device = FuzzwareImporter.Import(config);
        Assert.Equal(0x3000_0000UL, Assert.Single(device.Regions, r => r.Name != "scs").Start);
        Assert.Contains(device.Warnings, w => w.Message.Contains("key 'ram' appears twice", StringComparison.Ordinal) && w.Location!.Value.Line == 3);
    }

    [Fact]
    public void An_ivt_offset_makes_sp_and_entry_come_from_the_table_there()
    {
        string bin = Path.Combine(_dir, "fw.bin");
        var bytes = new byte[0x3000];
        BitConverter.GetBytes(0x2000_0800u).CopyTo(bytes, 0x2000);
        BitConverter.GetBytes(0x0800_2101u).CopyTo(bytes, 0x2004);
        File.WriteAllBytes(bin, bytes);
        string config = Write("config.yml", "memory_map:\n  rom: {base_addr: 0x8000000, size: 0x4000, file: fw.bin, ivt_offset: 0x2000}\n  ram: {base_addr: 0x20000000, size: 0x1000}\n");
        var boot = FuzzwareImporter.Import(config).Boot;
        Assert.Equal(new DeviceBoot(0x0800_2101, 0x2000_0800, 0x0800_0000), boot);
    }

    [Fact]
    public void Halucinator_machine_fields_irq_and_qemu_names_are_imported()
    {
        string config = Write("memory.yaml", """
            machine:
              arch: cortex-m4
              cpu_model: cortex-m4
              entry_addr: 0x8000101
            memories:
              flash: {base_addr: 0x8000000, size: 0x10000, permissions: r-x}
              ram: {base_addr: 0x20000000, size: 0x10000, permissions: rw-}
            peripherals:
              uart: {base_addr: 0x40011000, size: 0x400, qemu_name: stm32f4-usart, irq: 37, properties: {chardev: serial0}}
            """);
        var device = HalucinatorImporter.Import(config);
        Assert.Equal(("cortex-m4", 0x0800_0101UL), (device.Cpu, device.Boot.EntryPoint!.Value));
        var uart = Assert.Single(device.Peripherals);
        Assert.Equal([37], uart.Irqs);
        Assert.Contains("qemu_name stm32f4-usart", device.FindRegion("uart")!.Description, StringComparison.Ordinal);
        Assert.Contains(device.Warnings, w => w.Field == "peripherals.uart.properties");
    }

    // A memory file that is not there fails the import at its line (the written device failed later); what a memory's
    // QEMU settings say is named; a boot address outside the memories is located at the machine setting it came from.
    [Fact]
    public void Halucinator_missing_files_memory_settings_and_boot_addresses_are_located()
    {
        string missing = Write("miss/memory.yaml", """
            memories:
              flash: {base_addr: 0x8000000, size: 0x10000, permissions: r-x, file: missing.bin}
            """);
        var e = Assert.Throws<DeviceDescriptionException>(() => HalucinatorImporter.Import(missing));
        var error = Assert.Single(e.Diagnostics);
        Assert.Equal(("memories.flash.file", 2), (error.Field, error.Location!.Value.Line));
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);

        string settings = Write("set/memory.yaml", """
            machine:
              entry_addr: 0x9000000
            memories:
              ram: {base_addr: 0x20000000, size: 0x10000, permissions: rw-, qemu_name: ram-model, irq: 3}
            """);
        var bad = Assert.Throws<DeviceDescriptionException>(() => HalucinatorImporter.Import(settings));
        var entry = Assert.Single(bad.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(("boot.entry_point", 2), (entry.Field, entry.Location!.Value.Line));
        string fine = Write("set2/memory.yaml", """
            memories:
              ram: {base_addr: 0x20000000, size: 0x10000, permissions: rw-, qemu_name: ram-model, irq: 3}
            """);
        var device = HalucinatorImporter.Import(fine);
        Assert.Contains(device.Warnings, w => w.Field == "memories.ram.qemu_name");
        Assert.Contains(device.Warnings, w => w.Field == "memories.ram.irq");
    }

    [Theory]
    [InlineData("arch: cortex-m4", "cortex-m4", null, 0)]
    [InlineData("arch: arm", "cortex-m3", "machine.arch", 2)]   // no cpu_model: the architecture names the core
    [InlineData("arch: cortex-m4\n  cpu_model: cortex-a9", "cortex-m3", "machine.cpu_model", 3)]
    [InlineData("arch: arm64\n  cpu_model: cortex-a53", "cortex-a53", null, 0)]   // MemGate runs the A53 (it said cortex-m3)
    [InlineData("arch: arm64", "cortex-a53", null, 0)]
    public void Halucinator_machine_without_a_model_takes_the_architecture_and_warns_at_the_field_it_read(string fields, string cpu, string? warned, int line)
    {
        string config = Write("memory.yaml", $"machine:\n  {fields}\nmemories:\n  ram: {{base_addr: 0x20000000, size: 0x10000, permissions: rw-}}\n");
        var device = HalucinatorImporter.Import(config);
        Assert.Equal(cpu, device.Cpu);
        var warnings = device.Warnings.Where(w => w.Field.StartsWith("machine", StringComparison.Ordinal)).ToList();
        if (warned is null)
        {
            Assert.Empty(warnings);
            return;
        }
        var warning = Assert.Single(warnings);
        Assert.Equal((warned, line), (warning.Field, warning.Location!.Value.Line));
    }

    [Fact]
    public void Interrupt_triggers_are_imported_with_fuzzwares_defaults_and_a_fuzzed_interval()
    {
        string config = Write("config.yml", """
            memory_map:
              ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}
            entry_point: 0x20000001
            initial_sp: 0x20000800
            symbols:
              0x20000100: idle_loop
            interrupt_triggers:
              tick: {every_nth_tick: 0x3e8, fuzz_mode: round_robin}
              fixed: {every_nth_tick: 1000, irq: 20, num_pends: 2}
              at_idle: {addr: idle_loop, fuzz_mode: fuzzed}
              fully: {every_nth_tick: fuzzed, fuzz_mode: fuzzed}
              typo: {every_nth_tick: 1000, fuzz_mode: fuzed}
              zero: {every_nth_tick: 0, irq: 20}
              older: {every_nth_tick: 500, irq: 20, fuzzed: true}
            """);
        var device = FuzzwareImporter.Import(config);
        // A fuzz_mode Fuzzware does not know leaves the trigger out, saying so (it became round-robin silently).
        var typo = Assert.Single(device.Warnings, w => w.Field.StartsWith("interrupt_triggers", StringComparison.Ordinal));
        Assert.Contains("fuzz_mode 'fuzed' is neither round_robin nor fuzzed; the trigger is left out", typo.Message);
        Assert.Equal(12, typo.Location?.Line);
        Assert.Equal(
        [
            new DeviceInterruptTrigger("tick") { Every = 1000, CountsBlocks = true, Mode = InterruptTriggerMode.RoundRobin },
            new DeviceInterruptTrigger("fixed") { Every = 1000, CountsBlocks = true, Irq = 4, Pends = 2 },   // exception 20: IRQ4
            new DeviceInterruptTrigger("at_idle") { At = "idle_loop", Mode = InterruptTriggerMode.Fuzzed },
            new DeviceInterruptTrigger("fully") { EveryFuzzed = true, CountsBlocks = true, Mode = InterruptTriggerMode.Fuzzed },
            new DeviceInterruptTrigger("zero") { Every = 1000, CountsBlocks = true, Irq = 4 },   // Fuzzware's default interval for 0
            new DeviceInterruptTrigger("older") { Every = 500, CountsBlocks = true, Mode = InterruptTriggerMode.Fuzzed },   // fuzzed: true over irq
        ], device.InterruptTriggers);
    }

    [Fact]
    public void The_system_control_space_gets_fuzzwares_nvic_and_systick_and_use_systick_false_stops_systick_and_triggers()
    {
        string config = Write("config.yml", """
            memory_map:
              ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}
              nvic: {base_addr: 0xe0000000, size: 0x10000000, permissions: rw-}
            entry_point: 0x20000001
            initial_sp: 0x20000800
            systick: {reload_val: 800}
            interrupt_triggers:
              tick: {every_nth_tick: 0x3e8, fuzz_mode: round_robin}
            """);
        var scs = Assert.Single(FuzzwareImporter.Import(config).Peripherals, p => p.Model == "armv7m-scs");
        Assert.Equal(0xE000_E000UL, scs.Base);
        Assert.Equal(new Dictionary<string, string>
        {
            ["nesting"] = "false", ["systick"] = "true", ["systick_clock"] = "blocks", ["systick_reload_min"] = "500",
            ["systick_reload_max"] = "1500", ["systick_read_sets_countflag"] = "true", ["systick_reload"] = "800",
        }, scs.Parameters);

        // As the pw-recovery targets: no SysTick and no NVIC, so Fuzzware pends no interrupts either.
        File.AppendAllText(config, "\nuse_nvic: false\nuse_systick: false\nuse_timers: false\n");
        var device = FuzzwareImporter.Import(config);
        Assert.Contains(device.Warnings, w => w.Field == "use_timers");   // Fuzzware's Python timers: not imported
        Assert.Equal("false", device.Peripherals.Single(p => p.Model == "armv7m-scs").Parameters["systick"]);
        Assert.Empty(device.InterruptTriggers);
        Assert.Contains(device.Warnings, w => w.Field == "interrupt_triggers");
        Assert.DoesNotContain(device.Warnings, w => w.Field is "use_systick" or "systick");
        // Fuzzware leaves the System Control Space plain memory then; MemGate models it and says so.
        Assert.Contains(device.Warnings, w => w.Field == "use_nvic" && w.Message.Contains("plain memory", StringComparison.Ordinal));

        // use_nvic alone keeps the triggers, and the System Control Space is Fuzzware's NVIC: nothing to warn about.
        File.WriteAllText(config, File.ReadAllText(config).Replace("use_nvic: false", "use_nvic: true", StringComparison.Ordinal));
        var withNvic = FuzzwareImporter.Import(config);
        Assert.Single(withNvic.InterruptTriggers);
        Assert.DoesNotContain(withNvic.Warnings, w => w.Field == "use_nvic");
    }

    [Fact]
    public void Mmio_models_are_imported_by_kind_with_symbols_resolved_and_python_kinds_named_as_left_out()
    {
        string config = Write("config.yml", """
            memory_map:
              mmio: {base_addr: 0x40000000, size: 0x1000, permissions: rw-}
              ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}
            entry_point: 0x20000001
            initial_sp: 0x20000800
            symbols:
              0x20000100: uart_poll
            mmio_models:
              constant:
                c1: {addr: 0x40000014, pc: 0xe98, val: 0x1}
              passthrough:
                p1: {addr: 0x40000000, pc: 0xa10, init_val: 0x5}
              bitextract:
                b1: {addr: 0x400001fc, pc: uart_poll, size: 0x1, left_shift: 0x10, mask: 0xff0000}
              set:
                s1: {addr: 0x40000004, pc: 0, vals: [0x0, 0x2]}
              linear:
                l1: {addr: 0x40000008, pc: 0x10}
            """);
        var device = FuzzwareImporter.Import(config);
        Assert.Equal(
        [
            new MemGate.Mmio.MmioInputModel(MemGate.Mmio.MmioInputModelKind.Constant, 0x4000_0014) { Pc = 0xE98, Value = 1 },
            new MemGate.Mmio.MmioInputModel(MemGate.Mmio.MmioInputModelKind.Passthrough, 0x4000_0000) { Pc = 0xA10, Value = 5 },
            new MemGate.Mmio.MmioInputModel(MemGate.Mmio.MmioInputModelKind.BitExtract, 0x4000_01FC) { Pc = 0x2000_0100, Size = 1, LeftShift = 16 },
            new MemGate.Mmio.MmioInputModel(MemGate.Mmio.MmioInputModelKind.Set, 0x4000_0004) { Values = [0, 2] },
        ], device.MmioModels);
        Assert.Contains(device.Warnings, w => w.Field == "mmio_models.linear");
        foreach (var format in new[] { DeviceConfigFormat.Toml, DeviceConfigFormat.Yaml, DeviceConfigFormat.Json })
        {
            Assert.Equal(device.MmioModels, DeviceConfigReader.Parse(DeviceConfigWriter.Write(device, format), format, "d").MmioModels);
        }
    }

    // Fuzzware's overlay (harness.py: left unmapped over a mapped region, an MMIO region when its name says so): the RAM
    // it lies in is split around it, the pieces keep the RAM's permissions, and only the overlay's reads take input;
    // overlays without "mmio" in their name, outside every region, or over flash are left out, saying why.
    [Fact]
    public void An_overlay_splits_its_RAM_region_and_only_its_reads_take_the_fuzz_input()
    {
        string config = Write("overlay.yml", """
            memory_map:
              flash: {base_addr: 0x0, size: 0x1000, permissions: r-x}
              ram: {base_addr: 0x20000000, size: 0x1000, permissions: rw-}
              mmio_dma: {base_addr: 0x20000100, size: 0x40, overlay: true, permissions: rw-}
              mmio_at_start: {base_addr: 0x20000000, size: 0x10, overlay: true}
              dma_plain: {base_addr: 0x20000800, size: 0x10, overlay: true}
              dma_mmio_buf: {base_addr: 0x20000900, size: 0x10, overlay: true}
              mmio_nowhere: {base_addr: 0x30000000, size: 0x10, overlay: true}
              mmio_in_flash: {base_addr: 0x100, size: 0x10, overlay: true}
              mmio_empty: {base_addr: 0x20000200, size: 0, overlay: true}
            entry_point: 0x41
            initial_sp: 0x20000f00
            """);
        var device = FuzzwareImporter.Import(config);
        Assert.Equal(
            [("flash", 0x0UL, 0x1000UL), ("mmio_at_start", 0x2000_0000UL, 0x10UL), ("ram", 0x2000_0010UL, 0xF0UL), ("mmio_dma", 0x2000_0100UL, 0x40UL), ("ram_after_mmio_dma", 0x2000_0140UL, 0xEC0UL)],
            device.Regions.Where(r => r.Name != "scs").OrderBy(r => r.Start).Select(r => (r.Name, r.Start, r.Size)));
        // Fuzzware maps nothing for an overlay: the RAM's permissions hold there too (mmio_at_start gave none, rwx by default).
        Assert.All(device.Regions.Where(r => r.Start >= 0x2000_0000), r => Assert.Equal(Permissions.ReadWrite, r.Permissions));
        Assert.Contains(device.Warnings, w => w.Message.Contains("overlay region 'mmio_empty' is left out: its size is 0", StringComparison.Ordinal));
        Assert.Contains(device.Warnings, w => w.Message.Contains("overlay region 'dma_mmio_buf' is left out: its name does not start with 'mmio'", StringComparison.Ordinal));
        Assert.Contains(device.Warnings, w => w.Message.Contains("overlay region 'dma_plain' is left out: its name does not start with 'mmio'", StringComparison.Ordinal));
        Assert.Contains(device.Warnings, w => w.Message.Contains("overlay region 'mmio_nowhere' (0x10 bytes at 0x30000000) is left out: it does not lie inside one region", StringComparison.Ordinal));
        Assert.Contains(device.Warnings, w => w.Message.Contains("overlay region 'mmio_in_flash' is left out: it lies in region 'flash', which is not RAM", StringComparison.Ordinal));

        // ldr r1, =0x20000100; loop: ldr r0, [r1]; b loop: the reads of the overlay take the input, four bytes each,
        // while RAM in the same page (the stack, a word written and read back) stays RAM.
        var input = new MmioInput(new byte[10]);
        using var machine = FirmwareMachine.Create(device, TextWriter.Null, new FirmwareMachineOptions { MmioInput = input });
        var debug = machine.Memory.Main.Debug;
        ushort[] code = [0x4901, 0x6808, 0xE7FD, 0xBF00, 0x0100, 0x2000];
        for (int i = 0; i < code.Length; i++)
        {
            debug.WriteUInt16(new GuestAddress(0x40 + 2 * (ulong)i), code[i]);
        }
        machine.Memory.Main.WriteUInt32(new GuestAddress(0x2000_0140), 0x1234_5678);
        Assert.Equal(0x1234_5678u, machine.Memory.Main.ReadUInt32(new GuestAddress(0x2000_0140)));
        Assert.Equal(0, input.Consumed);
        var result = machine.Run(maxInstructions: 1000);
        Assert.Equal((RunOutcome.InputExhausted, 8), (result.Outcome, input.Consumed));
        Assert.Contains("read of 0x20000100", result.Reason, StringComparison.Ordinal);
    }

    // A DMA buffer in .data or .bss (CNC's .data starts at 0x20000000): the firmware still loads over an overlay there,
    // its start-up code copying into a window whose reads come from the input, as in Fuzzware.
    [SkippableFact]
    public void A_firmware_whose_data_covers_an_overlay_still_loads_and_runs()
    {
        string cnc = Requires.RealWorld("fuzzware-examples", "P2IM", "CNC", "config.yml");
        // Fuzzware finds a region's file beside the main configuration, which here is the one that includes CNC's.
        File.Copy(Path.Combine(Path.GetDirectoryName(cnc)!, "CNC.bin"), Path.Combine(_dir, "CNC.bin"));
        string config = Write("cnc-overlay.yml", $$"""
            include:
              - {{cnc}}
            memory_map:
              mmio_dma_rx_buf_0: {overlay: true, base_addr: 0x20000100, size: 140}
            """);
        var device = FuzzwareImporter.Import(config);
        Assert.Contains(device.Regions, r => r.Name == "mmio_dma_rx_buf_0" && r.Type == DeviceRegionType.Mmio);
        var image = MemGate.Firmware.FirmwareReader.Load(Path.Combine(Path.GetDirectoryName(cnc)!, "CNC.elf"));
        image.CheckFits(device);
        using var machine = FirmwareMachine.Create(device, TextWriter.Null, new FirmwareMachineOptions { MmioInput = new MmioInput(new byte[64]) });
        machine.Load(image);
        var result = machine.Run(maxInstructions: 200_000);
        Assert.Equal(RunOutcome.InputExhausted, result.Outcome);
    }
}
