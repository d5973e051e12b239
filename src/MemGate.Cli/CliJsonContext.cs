using System.Text.Json.Serialization;

namespace MemGate.Cli;

/// <summary>One row of the guest → host translation table.</summary>
internal sealed record TranslationRow(string Name, ulong Start, ulong End, ulong Size, string Permissions, string Kind, ulong? Host);

/// <summary>The translation table of an allocated memory, for <c>--json</c>.</summary>
internal sealed record TranslationReport(int AddressWidth, string Layout, ulong ResidentBytes, List<TranslationRow> Regions);

/// <summary>One template in <c>memgate list --json</c>.</summary>
internal sealed record TemplateRow(string Name, string Architecture, string Cpu, ulong FlashBytes, ulong RamBytes, int Regions);

internal sealed record ModelSettingRow(string Name, string Description);

internal sealed record ModelRow(string Model, string Description, ulong Size, int Irqs, bool InterruptController, List<ModelSettingRow> Settings);

/// <summary>An address space in <c>memgate show --json</c>.</summary>
internal sealed record SpaceRow(string Name, int AddressWidth);

/// <summary>A region in <c>memgate show --json</c>; numbers are JSON numbers.</summary>
internal sealed record RegionRow(string Name, ulong Start, ulong Size, ulong End, string Permissions, string Type, string Space, string? AliasOf, string? File);

/// <summary>A peripheral in <c>memgate show --json</c>.</summary>
internal sealed record PeripheralRow(string Name, ulong Base, ulong Size, string Space, string? Model);

/// <summary>A device in <c>memgate show --json</c>.</summary>
internal sealed record DeviceReport(string Name, string Description, string Architecture, string Cpu, string Endianness, ulong PageSize,
    List<SpaceRow> Spaces, List<RegionRow> Regions, List<PeripheralRow> Peripherals);

/// <summary>One address space of an allocated device, for <c>--allocate --print --json</c>.</summary>
internal sealed record SpaceAllocation(string Space, TranslationReport Memory);

/// <summary>An allocated device, for <c>--allocate --print --json</c>.</summary>
internal sealed record DeviceAllocationReport(string Name, ulong ResidentBytes, List<SpaceAllocation> Spaces);

/// <summary>One finding of <c>memgate validate --json</c>: where (file, line, column when known), which field, how bad, what.</summary>
internal sealed record DiagnosticRow(string? File, int? Line, int? Column, string? Field, string Severity, string Message);

/// <summary>A command given --json that failed: one JSON line on stderr instead of its text lines (exit code as the process's).</summary>
internal sealed record FailureReport(string Command, int ExitCode, List<DiagnosticRow> Errors);

/// <summary>A device file's warnings under a command given --json: one JSON line on stderr, before the command's own lines.</summary>
internal sealed record WarningReport(string Command, List<DiagnosticRow> Warnings);

/// <summary>The outcome of <c>memgate validate --json</c> for one file (one JSON line per file).</summary>
internal sealed record ValidationReport(string File, bool Valid, List<DiagnosticRow> Errors, List<DiagnosticRow> Warnings);

/// <summary>A field in <c>memgate svd --json</c>.</summary>
internal sealed record SvdFieldRow(string Name, int BitOffset, int BitWidth, string Access, string Write, string Read);

/// <summary>A register in <c>memgate svd --json</c>; <c>ResetValue</c> is what it reads after reset (resetValue under resetMask).</summary>
internal sealed record SvdRegisterRow(string Name, ulong Offset, int SizeBits, ulong ResetValue, string Access, string? AlternateOf, List<SvdFieldRow> Fields);

/// <summary>A peripheral in <c>memgate svd --json</c>.</summary>
internal sealed record SvdPeripheralRow(string Name, ulong BaseAddress, ulong Size, string Description, List<SvdInterruptRow> Interrupts, List<SvdRegisterRow> Registers);

/// <summary>An interrupt of an SVD peripheral in <c>memgate svd --json</c>: its name and number.</summary>
internal sealed record SvdInterruptRow(string Name, int Value, string Description);

/// <summary>An SVD file in <c>memgate svd --json</c>.</summary>
internal sealed record SvdReport(string Device, List<SvdPeripheralRow> Peripherals);

/// <summary>A segment in <c>memgate image --json</c>.</summary>
internal sealed record SegmentRow(ulong Address, ulong Size, string Origin);

/// <summary>A symbol in <c>memgate image --json</c>.</summary>
internal sealed record SymbolRow(string Name, ulong Address, ulong Size, bool IsFunction);

/// <summary>A firmware image in <c>memgate image --json</c>.</summary>
internal sealed record ImageReport(string File, string Format, ulong? EntryPoint, ulong Size, List<SegmentRow> Segments, List<SymbolRow> Symbols, string? FitsDevice);

/// <summary>A mapping in <c>memgate ps list --json</c>.</summary>
internal sealed record ProcessRegionRow(ulong Start, ulong End, ulong Size, string Permissions, string Class, string Path, ulong Offset, ulong Inode, Dictionary<string, ulong>? Smaps);

/// <summary><c>memgate ps analyze --json</c>.</summary>
internal sealed record ProcessAnalysisReport(int Pid, int Regions, ulong VirtualBytes, Dictionary<string, ulong> BytesByClass, Dictionary<string, ulong> BytesByPermissions,
    Dictionary<string, ulong> Smaps, List<ProcessRegionRow> Largest, List<ProcessRegionRow> WritableAndExecutable);

/// <summary>A match in <c>memgate ps search --json</c>; <c>FileOffset</c>: where the byte is in the mapped file (file mappings only).</summary>
internal sealed record ProcessMatchRow(ulong Address, string Path, ulong RegionStart, ulong Offset, string Permissions, ulong? FileOffset);

/// <summary>A mapping <c>memgate ps search</c> could not read, and why.</summary>
internal sealed record ProcessSkippedRow(ulong Start, ulong End, string Path, string Reason);

/// <summary><c>memgate ps search --json</c>; <c>Truncated</c>: the search stopped at --max matches, so there may be more.</summary>
internal sealed record ProcessSearchReport(string Pattern, string Description, ulong BytesScanned, List<ProcessMatchRow> Matches, bool Truncated, int SkippedRegions, List<ProcessSkippedRow> Skipped);

/// <summary><c>ps read|write|dump --json</c>: the bytes (read), or how many went where.</summary>
internal sealed record ProcessBytesReport(int Pid, ulong Address, long Size, string? Hex, string? File);

/// <summary>
/// <c>run --json</c>: how a run ended, one JSON line per run on stderr (stdout is the firmware's).
/// <paramref name="Outcome"/> is exit, instruction-limit, timeout, interrupted, idle or fault;
/// <paramref name="ExitCode"/> the firmware's own code (outcome exit only); <paramref name="Status"/> memgate's exit code for this run.
/// </summary>
internal sealed record RunReport(string Device, string Cpu, string Outcome, string Reason, int? ExitCode, int Status, ulong Instructions, double? ElapsedMs, double? Mips, RunFaultReport? Fault, ulong? RestoredPages)
{
    /// <summary>Basic blocks covered (with --coverage).</summary>
    public int? Blocks { get; init; }
}

/// <summary>The guest fault that ended a run.</summary>
internal sealed record RunFaultReport(string Message, ulong ProgramCounter, string? Function, ulong? Address, string? Access);

/// <summary>A region <c>run --shared-memory</c> shares: where it is in the guest and in this process, and the command that links it.</summary>
internal sealed record SharedRegionRow(string Region, ulong Guest, ulong Size, int Pid, ulong Host, string Link);

/// <summary>The line <c>run --shared-memory --json</c> writes before its runs.</summary>
internal sealed record SharedMemoryReport(string Command, List<SharedRegionRow> Shared);

/// <summary>A <c>fuzz --json</c> status line: <c>event</c> "status" while the campaign runs (first, then every ten seconds), "final" at its end.</summary>
internal sealed record FuzzStatusReport(string Command, string Event, ulong Runs, double RunsPerSecond, int Edges, int Corpus, int Crashes, ulong Hangs, double ElapsedSeconds);

/// <summary>A <c>fuzz --json</c> finding: <c>event</c> "crash" or "hang", the saved input and the command that replays it.</summary>
internal sealed record FuzzFindingReport(string Command, string Event, string Signature, string Reason, string Input, string? Replay);

/// <summary><c>ps link --json</c>.</summary>
internal sealed record ProcessLinkReport(int SourcePid, int TargetPid, ulong SourceAddress, ulong TargetAddress, ulong Size, string Region, string Method, bool IsCopy);

/// <summary>One line of <c>ps receive --json</c>.</summary>
internal sealed record LinkedMappingRow(ulong Address, ulong Size, string Label, int SourcePid, ulong SourceAddress, bool IsCopy);

/// <summary>Source-generated JSON (no reflection, so Native AOT works).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TranslationReport))]
[JsonSerializable(typeof(List<TemplateRow>), TypeInfoPropertyName = "ListTemplateRow")]
[JsonSerializable(typeof(List<ModelRow>), TypeInfoPropertyName = "ListModelRow")]
[JsonSerializable(typeof(DeviceReport))]
[JsonSerializable(typeof(DeviceAllocationReport))]
[JsonSerializable(typeof(SvdReport))]
[JsonSerializable(typeof(ImageReport))]
[JsonSerializable(typeof(List<ProcessRegionRow>), TypeInfoPropertyName = "ListProcessRegionRow")]
[JsonSerializable(typeof(ProcessAnalysisReport))]
[JsonSerializable(typeof(ProcessSearchReport))]
[JsonSerializable(typeof(ProcessLinkReport))]
[JsonSerializable(typeof(ProcessBytesReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>The context to write with: <see cref="CliJson.Readable"/> options.</summary>
    public static CliJsonContext Output => s_output ??= new(CliJson.Readable(Default.Options));

    private static CliJsonContext? s_output;
}

/// <summary>JSON Lines (one compact object per line) for commands that report more than once: run, ps receive.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunReport))]
[JsonSerializable(typeof(LinkedMappingRow))]
[JsonSerializable(typeof(ValidationReport))]
[JsonSerializable(typeof(FailureReport))]
[JsonSerializable(typeof(WarningReport))]
[JsonSerializable(typeof(SharedMemoryReport))]
[JsonSerializable(typeof(FuzzStatusReport))]
[JsonSerializable(typeof(FuzzFindingReport))]
internal sealed partial class CliJsonLinesContext : JsonSerializerContext
{
    /// <summary>The context to write with: <see cref="CliJson.Readable"/> options.</summary>
    public static CliJsonLinesContext Output => s_output ??= new(CliJson.Readable(Default.Options));

    private static CliJsonLinesContext? s_output;
}
