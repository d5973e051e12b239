using System.Text.Json;

namespace MemGate.Mmio;

/// <summary>
/// Records MMIO accesses as JSON lines — sequence number, program counter when known, address, size,
/// value, read or write, region, peripheral and register — which is what rehosting and fuzzing users
/// read to learn what firmware expects of its hardware.
/// </summary>
/// <example><c>{"seq":3,"pc":134218114,"pcHex":"0x08000182","address":1073821700,"addressHex":"0x40013804","size":4,"value":192,"valueHex":"0xC0","access":"read","region":"APB2","peripheral":"USART1","register":"SR"}</c></example>
public sealed class MmioTrace : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly Utf8JsonWriter _json;
    private readonly Lock _lock = new();
    private long _sequence;

    /// <summary>Writes the trace to <paramref name="stream"/>.</summary>
    public MmioTrace(Stream stream, bool ownsStream = false)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        _json = new Utf8JsonWriter(stream);
    }

    /// <summary>Writes the trace to a new file at <paramref name="path"/>.</summary>
    public static MmioTrace ToFile(string path) => new(File.Create(path), ownsStream: true);

    /// <summary>Supplies the program counter of the access, when a CPU engine knows it.</summary>
    public Func<ulong?>? ProgramCounter { get; set; }

    /// <summary>Accesses recorded so far.</summary>
    public long Count => Interlocked.Read(ref _sequence);

    /// <summary>Records one access.</summary>
    public void Record(ulong address, int size, ulong value, bool isWrite, string region, string? peripheral, string? register)
    {
        ulong? pc = ProgramCounter?.Invoke();
        lock (_lock)
        {
            _json.Reset();
            _json.WriteStartObject();
            _json.WriteNumber("seq", ++_sequence);
            if (pc is { } p)
            {
                _json.WriteNumber("pc", p);
                _json.WriteString("pcHex", $"0x{p:X8}");
            }
            else
            {
                _json.WriteNull("pc");
            }
            _json.WriteNumber("address", address);
            _json.WriteString("addressHex", $"0x{address:X8}");
            _json.WriteNumber("size", size);
            _json.WriteNumber("value", value);
            _json.WriteString("valueHex", $"0x{value:X}");
            _json.WriteString("access", isWrite ? "write" : "read");
            _json.WriteString("region", region);
            Optional("peripheral", peripheral);
            Optional("register", register);
            _json.WriteEndObject();
            _json.Flush();
            _stream.WriteByte((byte)'\n');
        }
    }

    /// <summary>Flushes the underlying stream.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            _stream.Flush();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_lock)
        {
            _json.Dispose();
            _stream.Flush();
            if (_ownsStream)
            {
                _stream.Dispose();
            }
        }
    }

    private void Optional(string name, string? value)
    {
        if (value is null)
        {
            _json.WriteNull(name);
        }
        else
        {
            _json.WriteString(name, value);
        }
    }
}
