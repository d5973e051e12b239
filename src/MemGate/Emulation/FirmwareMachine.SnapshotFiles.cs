using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Memory.Backing;
using MemGate.Native;
using MemGate.Snapshots.Files;

namespace MemGate.Emulation;

public abstract partial class FirmwareMachine
{
    /// <summary>The machine kind a snapshot file names (cortex-m, riscv, aarch64).</summary>
    public string Kind => this switch
    {
        CortexMMachine => "cortex-m",
        RiscVMachine => "riscv",
        _ => "aarch64",
    };

    /// <summary>
    /// Writes the machine's complete state (guest memory, every CPU register, every model's state, and the device
    /// description) to a snapshot file that <see cref="FromSnapshotFile(string, TextWriter, FirmwareMachineOptions?, DeviceDescription?)"/> starts from in any process; atomically.
    /// </summary>
    /// <param name="path">The file (replaced if it exists).</param>
    /// <param name="firmware">The image the machine runs, recorded (path and SHA-256) so its symbols can be found again.</param>
    public void SaveSnapshotFile(string path, SnapshotFirmware? firmware = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var device = Memory.Device;
        var cpu = SaveCpuState().Select(r => new SnapshotRegisterValue(r.Name, Convert.ToHexStringLower(r.Value))).ToList();
        var header = new SnapshotFileHeader(Kind,
            new SnapshotDevice(device.Name, "json", DeviceConfigWriter.Write(device, DeviceConfigFormat.Json), Path.GetFullPath(_options.BaseDirectory ?? Directory.GetCurrentDirectory())),
            firmware, _instructionsBefore + Instructions, UnicornLibrary.RequiredVersion.ToString(), DateTime.UtcNow, cpu, new SnapshotBlob(0, 0, ""), []);
        SnapshotFile.Write(path, header, SaveModelState(), Memory.Main, _baselines);
    }

    /// <summary>The device a snapshot file was taken of, from the description stored in it.</summary>
    /// <exception cref="SnapshotFileException">The file is not a snapshot, of another version, truncated or corrupt.</exception>
    public static DeviceDescription ReadSnapshotDevice(string path)
    {
        using var file = SnapshotFile.Open(path);
        return ReadSnapshotDevice(file);
    }

    /// <summary>The device an open snapshot file was taken of, from the description stored in it.</summary>
    /// <exception cref="SnapshotFileException">The description cannot be read.</exception>
    public static DeviceDescription ReadSnapshotDevice(SnapshotFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        // JSON since it parses about four times faster than TOML (a start from a file pays it); files that hold TOML still load.
        DeviceConfigFormat format = file.Header.Device.Format switch
        {
            "json" => DeviceConfigFormat.Json,
            "toml" => DeviceConfigFormat.Toml,
            _ => throw new SnapshotFileException(file.Path, $"its device description is in format '{file.Header.Device.Format}'; MemGate reads json and toml."),
        };
        try
        {
            return DeviceConfigReader.Parse(file.Header.Device.Description, format, $"{file.Path} (device '{file.Header.Device.Name}')");
        }
        catch (DeviceDescriptionException e)
        {
            throw new SnapshotFileException(file.Path, $"its device description cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// Builds the machine a snapshot file was taken of (from the device description in it, or <paramref name="device"/>,
    /// which must be laid out the same) and puts its state back; <see cref="Continue"/> goes on from there. Private
    /// memory is mapped copy-on-write from the file, so this takes time independent of the memory's size.
    /// </summary>
    /// <exception cref="SnapshotFileException">The file is not a snapshot, of another version, truncated, corrupt, or of another device.</exception>
    public static FirmwareMachine FromSnapshotFile(string path, TextWriter output, FirmwareMachineOptions? options = null, DeviceDescription? device = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = SnapshotFile.Open(path);
        return FromSnapshotFile(file, output, options, device);
    }

    /// <summary>As <see cref="FromSnapshotFile(string, TextWriter, FirmwareMachineOptions?, DeviceDescription?)"/>, from a file already open (which stays open).</summary>
    /// <exception cref="SnapshotFileException">The file is corrupt or of another device.</exception>
    public static FirmwareMachine FromSnapshotFile(SnapshotFile file, TextWriter output, FirmwareMachineOptions? options = null, DeviceDescription? device = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var header = file.Header;
        device ??= ReadSnapshotDevice(file);
        options ??= new FirmwareMachineOptions();
        var machine = Create(device, output, options.BaseDirectory is null ? options with { BaseDirectory = header.Device.BaseDirectory } : options);
        try
        {
            if (machine.Kind != header.Machine)
            {
                throw new SnapshotFileException(file.Path, $"it was taken of a {header.Machine} machine; device '{device.Name}' runs on a {machine.Kind} machine.");
            }
            machine.RestoreFrom(file);
            return machine;
        }
        catch
        {
            machine.Dispose();
            throw;
        }
    }

    // The stored pages of executable regions, as the image's segments would have been (read from the file: the
    // guest's pages stay unfaulted).
    private List<(ulong Address, ReadOnlyMemory<byte> Data)> StoredCode(SnapshotFile file)
    {
        var code = new List<(ulong, ReadOnlyMemory<byte>)>();
        foreach (var area in file.Header.Areas)
        {
            foreach (var region in area.Regions)
            {
                if (Memory.Main.FindRegion(region.Name) is not { } found || (found.Permissions & MemGate.Memory.Permissions.Execute) == 0)
                {
                    continue;
                }
                foreach (var run in area.Pages)
                {
                    ulong from = Math.Max(run.Start, region.Offset), to = Math.Min(run.Start + run.Length, region.Offset + region.Size);
                    if (from < to)
                    {
                        ulong guest = region.Start + (from - region.Offset);
                        var bytes = new byte[to - from];
                        file.ReadArea(area, from, bytes);
                        code.Add((guest, bytes));
                    }
                }
            }
        }
        return code;
    }

    // Memory first (it checks the layout and every stored page before changing anything), then the CPU, then the models.
    private void RestoreFrom(SnapshotFile file)
    {
        var cpu = new List<(string, byte[])>();
        foreach (var register in file.Header.Cpu)
        {
            try
            {
                cpu.Add((register.Name, Convert.FromHexString(register.Value)));
            }
            catch (FormatException)
            {
                throw new SnapshotFileException(file.Path, $"CPU register '{register.Name}' has no hexadecimal value ('{register.Value}').");
            }
        }
        byte[] models = file.ReadModels();
        bool lazy = _options.Backing is null or AnonymousBackingProvider;   // shared memfds must keep their pages: copy into them
        _baselines = file.RestoreMemory(Memory.Main, lazy);
        Loaded(file.Header.Firmware?.Path ?? file.Path, StoredCode(file));
        // A reset needs somewhere to start: the saved PC (the registers are written over it next).
        string pcName = SnapshotRegisters.First(r => r.System is null && r.Id == ProgramCounterRegister).Name;
        EntryPoint ??= cpu.Where(r => r.Item1 == pcName && r.Item2.Length <= 8).Select(r => Widen(r.Item2)).FirstOrDefault();
        PrepareReset();   // what the machine sets up for a run beyond the registers (exception levels, engine copies of memory)
        _instructionsBefore = file.Header.Instructions;
        try
        {
            RestoreCpuState(cpu);
            RestoreModelState(models);
        }
        catch (InvalidDataException e)
        {
            throw new SnapshotFileException(file.Path, $"it does not fit device '{Memory.Device.Name}': {e.Message}", e);
        }
        ulong pc = ReadPc();
        if (pc - _haltAddress < Granule)
        {
            // Where MemGate parks a run that ended: a snapshot MemGate wrote never stops there, and Continue would take it for an ended run.
            throw new SnapshotFileException(file.Path, $"its PC 0x{pc:X} lies in the page MemGate keeps for ended runs at 0x{_haltAddress:X}; no run goes on from there.");
        }
    }
}
