using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MemGate.Devices;
using MemGate.Processes;
using Spectre.Console;

namespace MemGate.Cli.Commands;

/// <summary><c>memgate ps list|analyze|search|read|write|dump|link|receive</c>: a live process's memory from outside.</summary>
internal static class ProcessCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("ps", "Inspect a live process's memory: list and analyze its mappings, search for patterns, read, write and dump bytes.");
        command.Add(List(output, error));
        command.Add(Analyze(output, error));
        command.Add(Search(output, error));
        command.Add(Read(output, error));
        command.Add(Write(output, error));
        command.Add(Dump(output, error));
        command.Add(Link(output, error));
        command.Add(Receive(output, error));
        return command;
    }

    private static Option<int> Pid()
    {
        var pid = new Option<int>("--pid", "-p") { Description = "The process id.", Required = true };
        pid.Validators.Add(result =>
        {
            // Only a value that parsed (others already have their parse error; reading them would throw).
            if (result.Tokens is [var token] && int.TryParse(token.Value, out int value) && value <= 0)
            {
                result.AddError($"--pid {value}: a process id is a positive number.");
            }
        });
        return pid;
    }

    private static Command List(TextWriter output, TextWriter error)
    {
        var pid = Pid();
        var detailed = new Option<bool>("--detailed") { Description = "Add smaps figures (RSS, PSS, private dirty, swap)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("list", "A table of the process's mappings.") { pid, detailed, json };
        command.SetAction(parse => CommandErrors.Run("ps list", parse, error, () =>
        {
            var regions = ProcessMaps.Read(parse.GetValue(pid), parse.GetValue(detailed));
            NoteWhenEmpty("ps list", regions.Count, parse.GetValue(pid), error);
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(regions.Select(Row).ToList(), CliJsonContext.Output.ListProcessRegionRow));
                return CliApp.Success;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Start").AddColumn("End").AddColumn(new TableColumn("Size").RightAligned())
                .AddColumn("Perms").AddColumn("Class").AddColumn("Path");
            if (parse.GetValue(detailed))
            {
                table.AddColumn(new TableColumn("RSS").RightAligned()).AddColumn(new TableColumn("PSS").RightAligned())
                    .AddColumn(new TableColumn("Private dirty").RightAligned()).AddColumn(new TableColumn("Swap").RightAligned());
            }
            foreach (var r in regions)
            {
                var cells = new List<string> { $"{r.Start:x12}", $"{r.End:x12}", ByteSize.Human(r.Size), r.Permissions, r.Class.ToString(), Markup.Escape(r.Path) };
                if (parse.GetValue(detailed))
                {
                    cells.Add(ByteSize.Human(r.Detail("Rss")));
                    cells.Add(ByteSize.Human(r.Detail("Pss")));
                    cells.Add(ByteSize.Human(r.Detail("Private_Dirty")));
                    cells.Add(ByteSize.Human(r.Detail("Swap")));
                }
                table.AddRow([.. cells]);
            }
            Terminal.For(output, unwrapped: true).Write(table);
            return CliApp.Success;
        }));
        return command;
    }

    // A kernel thread (kthreadd, kworker/…) has no user-space memory at all: say so rather than show empty tables.
    private static void NoteWhenEmpty(string command, int regions, int pid, TextWriter error)
    {
        if (regions == 0)
        {
            string name;
            try
            {
                name = $" ({File.ReadAllText($"/proc/{pid}/comm").Trim()})";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                name = "";   // gone meanwhile: the note is all the same
            }
            // With --json, a warnings line as every command's (it was left out, or text among JSON).
            CommandErrors.ReportWarnings([new DeviceDiagnostic(DiagnosticSeverity.Warning, "--pid",
                $"process {pid}{name} has no user-space mappings: a kernel thread, or a process that has just exited")], error, $"memgate {command}");
        }
    }

    private static Command Analyze(TextWriter output, TextWriter error)
    {
        var pid = Pid();
        var format = new Option<string>("--format") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var json = new Option<bool>("--json") { Description = "Same as --format json." };
        var command = new Command("analyze", "Statistics: totals by class and permission, RSS/PSS/private/shared/swap, largest mappings, writable+executable ones.") { pid, format, json };
        command.SetAction(parse => CommandErrors.Run("ps analyze", parse, error, () =>
        {
            if (parse.GetValue(json) && parse.GetResult(format) is { Implicit: false } && parse.GetValue(format) != "json")
            {
                throw new CommandUsageException($"--json and --format {parse.GetValue(format)} ask for different outputs; give one.");
            }
            var a = ProcessAnalysis.Of(parse.GetValue(pid));
            NoteWhenEmpty("ps analyze", a.Regions, a.Pid, error);
            if (parse.GetValue(json) || parse.GetValue(format) == "json")
            {
                var report = new ProcessAnalysisReport(a.Pid, a.Regions, a.VirtualBytes, a.BytesByClass.ToDictionary(), a.BytesByPermissions.ToDictionary(), a.Smaps.ToDictionary(),
                    a.Largest.Select(Row).ToList(), a.WritableAndExecutable.Select(Row).ToList());
                output.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Output.ProcessAnalysisReport));
                return CliApp.Success;
            }
            output.WriteLine($"Process {a.Pid}: {a.Regions} mappings, {ByteSize.Human(a.VirtualBytes)} virtual, RSS {ByteSize.Human(a.Smaps["Rss"])}, PSS {ByteSize.Human(a.Smaps["Pss"])}, " +
                $"private dirty {ByteSize.Human(a.Smaps["Private_Dirty"])}, shared {ByteSize.Human(a.Smaps["Shared_Clean"] + a.Smaps["Shared_Dirty"])}, swap {ByteSize.Human(a.Smaps["Swap"])}, huge pages {ByteSize.Human(a.Smaps["AnonHugePages"])}");
            var console = Terminal.For(output);
            var byClass = new Table().Border(TableBorder.Rounded).AddColumn("Class").AddColumn(new TableColumn("Virtual").RightAligned());
            foreach (var (name, bytes) in a.BytesByClass)
            {
                byClass.AddRow(name, ByteSize.Human(bytes));
            }
            console.Write(byClass);
            var byPerms = new Table().Border(TableBorder.Rounded).AddColumn("Perms").AddColumn(new TableColumn("Virtual").RightAligned());
            foreach (var (perms, bytes) in a.BytesByPermissions)
            {
                byPerms.AddRow(perms, ByteSize.Human(bytes));
            }
            console.Write(byPerms);
            output.WriteLine("Largest mappings:");
            foreach (var r in a.Largest.Take(5))
            {
                output.WriteLine($"  {r.Start:x12}-{r.End:x12} {ByteSize.Human(r.Size),10} {r.Permissions} {r.Class} {r.Path}");
            }
            output.WriteLine(a.WritableAndExecutable.Count == 0 ? "No writable and executable mappings." : $"Writable and executable ({a.WritableAndExecutable.Count}):");
            foreach (var r in a.WritableAndExecutable)
            {
                output.WriteLine($"  {r.Start:x12}-{r.End:x12} {ByteSize.Human(r.Size),10} {r.Permissions} {r.Path}");
            }
            return CliApp.Success;
        }));
        return command;
    }

    private static Command Search(TextWriter output, TextWriter error)
    {
        var pid = Pid();
        var hex = new Option<string?>("--hex") { Description = "Bytes in hex, ?? for any byte: \"DE AD ?? EF\"." };
        var text = new Option<string?>("--string") { Description = "A string (UTF-8, or UTF-16LE with --utf16)." };
        var utf16 = new Option<bool>("--utf16") { Description = "Search --string as UTF-16LE." };
        var u32 = new Option<string?>("--u32") { Description = "A 32-bit value (hex or decimal), little endian." };
        var u64 = new Option<string?>("--u64") { Description = "A 64-bit value (hex or decimal), little endian." };
        var region = new Option<string?>("--region") { Description = "Only mappings whose path contains this, or of this class (heap, stack, anonymous…)." };
        var max = new Option<int>("--max") { Description = "Stop after this many matches.", DefaultValueFactory = _ => 100 };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("search", "Search a process's readable memory; unreadable mappings are skipped and reported.") { pid, hex, text, utf16, u32, u64, region, max, json };
        command.SetAction(parse => CommandErrors.Run("ps search", parse, error, () =>
        {
            var given = new[] { parse.GetValue(hex) is not null, parse.GetValue(text) is not null, parse.GetValue(u32) is not null, parse.GetValue(u64) is not null };
            if (given.Count(g => g) != 1)
            {
                throw new CommandUsageException("Give exactly one of --hex, --string, --u32, --u64.");
            }
            if (parse.GetValue(utf16) && parse.GetValue(text) is null)
            {
                throw new CommandUsageException("--utf16 encodes --string; it does nothing with --hex, --u32 or --u64.");
            }
            var pattern = parse.GetValue(hex) is { } h ? OptionValue.Parse("--hex", () => SearchPattern.FromHex(h))
                : parse.GetValue(text) is { } s ? OptionValue.Parse("--string", () => SearchPattern.FromString(s, parse.GetValue(utf16)))
                : parse.GetValue(u32) is { } a ? SearchPattern.FromUInt32((uint)OptionValue.Number("--u32", a, uint.MaxValue))
                : SearchPattern.FromUInt64(OptionValue.Number("--u64", parse.GetValue(u64)!));
            if (parse.GetValue(max) < 1)
            {
                throw new CommandUsageException($"--max {parse.GetValue(max)}: give 1 or more matches.");
            }
            bool interactive = StandardStreams.IsTerminal(error);
            int lastPercent = -1;
            var result = ProcessSearch.Search(parse.GetValue(pid), pattern, parse.GetValue(region), parse.GetValue(max), progress: (done, total) =>
            {
                int percent = total == 0 ? 100 : (int)(done * 100 / total);
                if (interactive && percent != lastPercent)
                {
                    lastPercent = percent;
                    error.Write($"\rsearching {ByteSize.Human(done)} of {ByteSize.Human(total)} ({percent}%)");
                }
            });
            if (interactive)
            {
                error.WriteLine();
            }
            if (parse.GetValue(region) is { } named && result.BytesScanned == 0 && result.Skipped.Count == 0)
            {
                throw new CommandInputException($"--region {named}: no mapping of process {parse.GetValue(pid)} matches it (give part of a path or a class: heap, stack, " +
                    $"anonymous…; memgate ps list --pid {parse.GetValue(pid)} shows them).");
            }
            bool asJson = parse.GetValue(json);
            if (result.BytesScanned == 0 && result.Skipped.Count == 0)
            {
                NoteWhenEmpty("ps search", 0, parse.GetValue(pid), error);
            }
            bool truncated = result.Matches.Count >= parse.GetValue(max);   // the scan stopped there: more may follow
            if (!asJson)
            {
                foreach (var (skipped, reason) in result.Skipped)
                {
                    error.WriteLine($"skipped {skipped.Start:x}-{skipped.End:x} {skipped.Path}: {reason}");
                }
            }
            else
            {
                // The pattern as the bytes searched (?? for any byte), which a program can use as it is; the text form beside it.
                string bytes = string.Join(" ", pattern.Bytes.Select((b, i) => pattern.Wildcard[i] ? "??" : b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
                var report = new ProcessSearchReport(bytes, pattern.Text, result.BytesScanned,
                    result.Matches.Select(m => new ProcessMatchRow(m.Address, m.Region.Path, m.Region.Start, m.Offset, m.Region.Permissions,
                        m.Region.Inode != 0 ? m.Region.Offset + m.Offset : null)).ToList(),
                    truncated, result.Skipped.Count, result.Skipped.Select(x => new ProcessSkippedRow(x.Region.Start, x.Region.End, x.Region.Path, x.Reason)).ToList());
                output.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Output.ProcessSearchReport));
                return CliApp.Success;
            }
            foreach (var m in result.Matches)
            {
                output.WriteLine($"0x{m.Address:x}  {m.Region.Path,-40} +0x{m.Offset:x} ({m.Region.Permissions})");
            }
            output.WriteLine($"{result.Matches.Count} match(es) for {pattern.Text} in {ByteSize.Human(result.BytesScanned)} scanned; {result.Skipped.Count} mapping(s) skipped." +
                (truncated ? $" Stopped at --max {parse.GetValue(max)}: there may be more." : ""));
            return CliApp.Success;
        }));
        return command;
    }

    private static Command Read(TextWriter output, TextWriter error)
    {
        var pid = Pid();
        var address = new Option<string>("--address", "-a") { Description = "Address (hex or decimal).", Required = true };
        var size = new Option<string>("--size", "-n") { Description = "Bytes to read: 16, 0x10, 1KiB (up to 64 MiB).", Required = true };
        var format = new Option<string>("--format") { Description = "hex (a dump) or raw (the bytes to stdout).", DefaultValueFactory = _ => "hex" };
        format.AcceptOnlyFromAmong("hex", "raw");
        var json = new Option<bool>("--json") { Description = "Print JSON (address and the bytes in hex)." };
        var command = new Command("read", "Read bytes of a process's memory.") { pid, address, size, format, json };
        command.SetAction(parse => CommandErrors.Run("ps read", parse, error, () =>
        {
            ulong at = OptionValue.Number("--address", parse.GetRequiredValue(address));
            string sizeText = parse.GetRequiredValue(size);
            ulong requested = OptionValue.Parse("--size", () => ByteSize.Parse(sizeText));
            if (requested is 0 or > 64 << 20)
            {
                throw new CommandUsageException($"--size {sizeText}: read 1 byte to 64 MiB at a time (use dump for more).");
            }
            int n = (int)requested;
            var bytes = new byte[n];
            ProcessMemory.Read(parse.GetValue(pid), at, bytes);
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new ProcessBytesReport(parse.GetValue(pid), at, n, Convert.ToHexString(bytes), null), CliJsonContext.Output.ProcessBytesReport));
                return CliApp.Success;
            }
            if (parse.GetValue(format) == "raw")
            {
                using var stdout = StandardStreams.OpenOutput();
                stdout.Write(bytes);
                return CliApp.Success;
            }
            for (int line = 0; line < n; line += 16)
            {
                var chunk = bytes.AsSpan(line, Math.Min(16, n - line));
                string hexPart = string.Join(' ', chunk.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
                string ascii = new(chunk.ToArray().Select(b => b is >= 0x20 and < 0x7F ? (char)b : '.').ToArray());
                output.WriteLine($"{at + (ulong)line:x12}  {hexPart,-47}  {ascii}");
            }
            return CliApp.Success;
        }));
        return command;
    }

    private static Command Write(TextWriter output, TextWriter error)
    {
        var pid = Pid();
        var address = new Option<string>("--address", "-a") { Description = "Address (hex or decimal).", Required = true };
        var hex = new Option<string?>("--hex") { Description = "Bytes to write, in hex (\"DE AD BE EF\")." };
        var file = new Option<string?>("--file") { Description = "Write this file's bytes." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("write", "Write bytes into a process's memory; all of them or an error, never a partial success.") { pid, address, hex, file, json };
        command.SetAction(parse => CommandErrors.Run("ps write", parse, error, () =>
        {
            if ((parse.GetValue(hex) is null) == (parse.GetValue(file) is null))
            {
                throw new CommandUsageException("Give exactly one of --hex and --file.");
            }
            byte[] data = parse.GetValue(file) is { } path ? InputFile.ReadAllBytes(path, "--file")
                : OptionValue.Parse("--hex", () => HexBytes(parse.GetValue(hex)!));
            if (data.Length == 0)
            {
                throw new CommandUsageException("Nothing to write: --hex or --file gives no bytes.");
            }
            ulong at = OptionValue.Number("--address", parse.GetRequiredValue(address));
            ProcessMemory.Write(parse.GetValue(pid), at, data);
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new ProcessBytesReport(parse.GetValue(pid), at, data.Length, null, null), CliJsonContext.Output.ProcessBytesReport));
                return CliApp.Success;
            }
            output.WriteLine($"Wrote {data.Length} bytes at 0x{at:x} in process {parse.GetValue(pid)}.");
            return CliApp.Success;
        }));
        return command;
    }

    private static Command Dump(TextWriter output, TextWriter error)
    {
        var pid = Pid();
        var address = new Option<string>("--address", "-a") { Description = "Address (hex or decimal).", Required = true };
        var size = new Option<string>("--size", "-n") { Description = "Bytes to dump (hex or decimal, units allowed: 64MiB).", Required = true };
        var outFile = new Option<string>("--output", "-o") { Description = "The file to write.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("dump", "Copy a range of a process's memory to a file.") { pid, address, size, outFile, json };
        command.SetAction(parse => CommandErrors.Run("ps dump", parse, error, () =>
        {
            ulong at = OptionValue.Number("--address", parse.GetRequiredValue(address));
            ulong total = OptionValue.Parse("--size", () => ByteSize.Parse(parse.GetRequiredValue(size)));
            if (total == 0)
            {
                throw new CommandUsageException("--size 0: dump at least one byte.");
            }
            string path = parse.GetRequiredValue(outFile);
            var buffer = new byte[(int)Math.Min(total, 8UL << 20)];
            // Ctrl-C and SIGTERM stop the dump between pieces, so the temporary file goes too (the signal's own action
            // would end the process and leave it behind).
            using var stopped = new ManualResetEventSlim();
            using var signals = new StopSignals(stopped.Set);
            // All or nothing: a dump that fails half-way leaves neither a half file nor a replaced target.
            OutputFile.Write(path, stream =>
            {
                for (ulong done = 0; done < total;)
                {
                    if (stopped.IsSet)
                    {
                        throw new CommandStoppedException($"stopped; nothing was written to {path}.", signals.ExitCode);
                    }
                    int n = (int)Math.Min((ulong)buffer.Length, total - done);
                    try
                    {
                        ProcessMemory.Read(parse.GetValue(pid), at + done, buffer.AsSpan(0, n));
                    }
                    catch (ProcessAccessException e)
                    {
                        // The dump is read in pieces: name the range asked for too, and where it failed.
                        string before = done == 0 ? "" : $" (the first 0x{done:x} bytes were read)";
                        throw new CommandInputException($"[0x{at:x}, +0x{total:x}) cannot be dumped in full{before}: {e.Message}; nothing was written.");
                    }
                    stream.Write(buffer, 0, n);
                    done += (ulong)n;
                }
            });
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new ProcessBytesReport(parse.GetValue(pid), at, (long)total, null, Path.GetFullPath(path)), CliJsonContext.Output.ProcessBytesReport));
                return CliApp.Success;
            }
            output.WriteLine($"Dumped {ByteSize.Human(total)} from 0x{at:x} of process {parse.GetValue(pid)} to {path}.");
            return CliApp.Success;
        }));
        return command;
    }

    private static Command Link(TextWriter output, TextWriter error)
    {
        var source = new Option<int>("--source") { Description = "The process whose memory is shared.", Required = true };
        var target = new Option<int>("--target") { Description = "The process that maps it; it must be receiving links (memgate ps receive, or ProcessLinkReceiver in a MemGate program).", Required = true };
        var address = new Option<string>("--address", "-a") { Description = "Address in the source (rounded down to a page).", Required = true };
        var size = new Option<string>("--size", "-n") { Description = "Bytes (rounded up to pages; units allowed: 64KiB).", Required = true };
        var targetAddress = new Option<string?>("--target-address") { Description = "Map exactly here in the target (default: the source's address if free there, else anywhere)." };
        var copy = new Option<bool>("--copy") { Description = "Send a one-time copy instead of sharing (for private memory, which Linux cannot share)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("link", "Share a range of one process's memory with another: both see each other's writes. Works for memfd, POSIX shm and MAP_SHARED file memory.")
        {
            source, target, address, size, targetAddress, copy, json,
        };
        command.SetAction(parse => CommandErrors.Run("ps link", parse, error, () =>
        {
            ulong at = OptionValue.Number("--address", parse.GetRequiredValue(address));
            ulong bytes = OptionValue.Parse("--size", () => ByteSize.Parse(parse.GetRequiredValue(size)));
            ulong? where = parse.GetValue(targetAddress) is { } t ? OptionValue.Number("--target-address", t) : null;
            if (where == 0)
            {
                // mmap takes address 0 as "anywhere": the link would land elsewhere without saying so.
                throw new CommandUsageException("--target-address 0: nothing can be mapped at address 0; leave the option out to let the target choose.");
            }
            // An empty or wrapping range is refused by the library as an argument; here it is the user's value.
            var link = OptionValue.Parse("--size", () => parse.GetValue(copy)
                ? ProcessLink.Copy(parse.GetValue(source), parse.GetValue(target), at, bytes, where)
                : ProcessLink.Link(parse.GetValue(source), parse.GetValue(target), at, bytes, where));
            if (parse.GetValue(json))
            {
                var report = new ProcessLinkReport(link.SourcePid, link.TargetPid, link.SourceAddress, link.TargetAddress, link.Size, link.Region.Path, link.Method, link.IsCopy);
                output.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Output.ProcessLinkReport));
                return CliApp.Success;
            }
            output.WriteLine(link.IsCopy
                ? $"Copied {ByteSize.Human(link.Size)} from 0x{link.SourceAddress:x} of process {link.SourcePid} into process {link.TargetPid} at 0x{link.TargetAddress:x} (a snapshot: later writes are not shared)."
                : $"Linked {ByteSize.Human(link.Size)} at 0x{link.SourceAddress:x} of process {link.SourcePid} ({link.Region.Path}) into process {link.TargetPid} at 0x{link.TargetAddress:x}, via {link.Method}.");
            return CliApp.Success;
        }));
        return command;
    }

    private static Command Receive(TextWriter output, TextWriter error)
    {
        var json = new Option<bool>("--json") { Description = "Print each link as one JSON line (JSON Lines)." };
        var command = new Command("receive", "Accept links into this process (the target side of ps link) until Ctrl-C or SIGTERM; prints each link as it arrives.") { json };
        command.SetAction(parse => CommandErrors.Run("ps receive", parse, error, () =>
        {
            using var stopped = new ManualResetEventSlim();
            using var signals = new StopSignals(stopped.Set);
            bool asJson = parse.GetValue(json);
            using var receiver = ProcessLinkReceiver.Start(m =>
            {
                output.WriteLine(asJson
                    ? JsonSerializer.Serialize(new LinkedMappingRow((ulong)m.Address, m.Size, m.Label, m.SourcePid, m.SourceAddress, m.IsCopy), CliJsonLinesContext.Output.LinkedMappingRow)
                    : $"{(m.IsCopy ? "copied" : "linked")} {ByteSize.Human(m.Size)} at 0x{m.Address:x} from process {m.SourcePid} 0x{m.SourceAddress:x} ({m.Label})");
                output.Flush();
            });
            if (!asJson)
            {
                output.WriteLine($"Process {Environment.ProcessId} receives links on @{ProcessLinkReceiver.SocketName(Environment.ProcessId)}; Ctrl-C to stop.");
                output.Flush();
            }
            stopped.Wait();
            return CliApp.Success;
        }));
        return command;
    }

    private static ProcessRegionRow Row(ProcessRegion r) => new(r.Start, r.End, r.Size, r.Permissions, r.Class.ToString(), r.Path, r.Offset, r.Inode,
        r.Details.Count == 0 ? null : r.Details.ToDictionary());

    // "DE AD BE EF" (spaces optional) to bytes; Convert's own message speaks of "the input".
    private static byte[] HexBytes(string text)
    {
        string digits = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
        if (digits.Length % 2 != 0 || !digits.All(char.IsAsciiHexDigit))
        {
            throw new FormatException($"'{text}' is not whole bytes in hex (e.g. \"DE AD BE EF\").");
        }
        return Convert.FromHexString(digits);
    }
}
