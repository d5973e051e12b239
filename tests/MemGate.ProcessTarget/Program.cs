using System.IO.MemoryMappedFiles;
using System.Text;
using MemGate.Memory;
using MemGate.Memory.Backing;
using MemGate.Processes;

// Each mode sets memory up, prints "key=value" lines describing it, then "ready", and lives until
// its standard input closes, so the test that started it decides when it ends.
string mode = args.Length > 0 ? args[0] : "";
var keep = new List<IDisposable>();
switch (mode)
{
    case "shared":
    case "private":
        {
            // Guest RAM from a memfd ("shared") or private anonymous memory ("private"), with a marker at its start.
            var options = new GuestMemoryOptions { AddressWidth = 64, BackingProvider = mode == "shared" ? SharedMemoryBackingProvider.Instance : AnonymousBackingProvider.Instance };
            var memory = GuestMemory.Create([GuestRegion.Ram("ram", 0x2000_0000, 1 << 20)], options);
            keep.Add(memory);
            Encoding.ASCII.GetBytes($"{mode} memory of {Environment.ProcessId}").CopyTo(memory.GetSpan(new GuestAddress(0x2000_0000), 64));
            Console.WriteLine($"address=0x{memory.Translate(new GuestAddress(0x2000_0000)):x}");
            break;
        }
    case "shm":
        {
            // A POSIX shm file mapped MAP_SHARED whose descriptor is closed again: only the mapping is left.
            string path = $"/dev/shm/memgate-test-{Environment.ProcessId}";
            var file = MemoryMappedFile.CreateFromFile(path, FileMode.Create, null, 64 * 1024);
            var view = file.CreateViewAccessor();
            file.Dispose();
            File.Delete(path);
            keep.Add(view);
            Console.WriteLine($"address=0x{Pointer(view):x}");
            break;
        }
    case "patterns":
        {
            // 1 MiB with a marker (args[1], hex) at offset args[2]; and a two-page file mapping cut to one page, whose
            // first page holds the marker again and whose second page cannot be read (past the end of the file).
            byte[] marker = Convert.FromHexString(args[1]);
            var memory = GuestMemory.Create([GuestRegion.Ram("ram", 0x2000_0000, 1 << 20)], new GuestMemoryOptions { AddressWidth = 64 });
            keep.Add(memory);
            marker.CopyTo(memory.GetSpan(new GuestAddress(0x2000_0000 + ulong.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)), marker.Length));
            Console.WriteLine($"address=0x{memory.Translate(new GuestAddress(0x2000_0000)):x}");
            string path = Path.Combine(Path.GetTempPath(), $"memgate-test-{Environment.ProcessId}");
            var file = MemoryMappedFile.CreateFromFile(path, FileMode.Create, null, 8192);
            var view = file.CreateViewAccessor(0, 8192);
            using (var cut = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
            {
                cut.SetLength(4096);
            }
            view.WriteArray(100, marker, 0, marker.Length);
            keep.Add(view);
            keep.Add(file);
            File.Delete(path);
            Console.WriteLine($"cut=0x{Pointer(view):x}");
            break;
        }
    case "receive":
        {
            keep.Add(ProcessLinkReceiver.Start(m => Console.WriteLine($"linked=0x{m.Address:x} size=0x{m.Size:x} from={m.SourcePid}")));
            break;
        }
    default:
        Console.Error.WriteLine("usage: MemGate.ProcessTarget shared|private|shm|patterns HEX OFFSET|receive");
        return 2;
}
Console.WriteLine("ready");
Console.Out.Flush();
Console.In.ReadToEnd();
foreach (var d in keep)
{
    d.Dispose();
}
return 0;

static unsafe nint Pointer(MemoryMappedViewAccessor view)
{
    byte* p = null;
    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
    return (nint)(p + view.PointerOffset);
}
