namespace MemGate.Emulation;

/// <summary>
/// Bytes on their way from the host (a terminal, a pipe, a file, a socket) to a guest UART: any thread
/// writes them here; the machine hands them to the UART on its own thread, one at a time, whenever the
/// UART can keep one (<see cref="Peripherals.ISerialPort.CanReceive"/>), so nothing is dropped however fast
/// the host types or pipes. <see cref="Complete"/> says no more will come (end of file).
/// </summary>
/// <example>
/// <code>
/// var input = SerialInput.FromBytes("hello\u0004"u8);   // all there, and complete
/// machine.ConnectSerialInput("USART1", input);
/// machine.Run();
/// </code>
/// </example>
public sealed class SerialInput
{
    private readonly Queue<byte> _bytes = new();
    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _ready = new(false);   // set while bytes wait or the input is complete
    private bool _completed;

    /// <summary>An input that holds <paramref name="bytes"/> and nothing more (a file).</summary>
    public static SerialInput FromBytes(ReadOnlySpan<byte> bytes)
    {
        var input = new SerialInput();
        input.Write(bytes);
        input.Complete();
        return input;
    }

    /// <summary>Queues <paramref name="bytes"/> for the UART (from any thread); ignored once completed.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }
            foreach (byte b in bytes)
            {
                _bytes.Enqueue(b);
            }
            if (_bytes.Count > 0)
            {
                _ready.Set();
            }
        }
    }

    /// <summary>No more bytes will come (end of file, the terminal or socket closed); those queued are still delivered.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            _ready.Set();
        }
    }

    /// <summary>Whether more bytes may still arrive or are waiting: false once completed and every byte was delivered.</summary>
    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return !_completed || _bytes.Count > 0;
            }
        }
    }

    /// <summary>Bytes waiting for the UART.</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return _bytes.Count;
            }
        }
    }

    /// <summary>The oldest waiting byte, if any (the machine's thread).</summary>
    internal bool TryTake(out byte value)
    {
        lock (_lock)
        {
            if (!_bytes.TryDequeue(out value))
            {
                return false;
            }
            if (_bytes.Count == 0 && !_completed)
            {
                _ready.Reset();
            }
            return true;
        }
    }

    /// <summary>Blocks until a byte waits or the input completes, at most <paramref name="timeout"/>; true when one of them happened.</summary>
    internal bool Wait(TimeSpan timeout) => _ready.Wait(timeout);

    /// <summary>The handle a machine waiting on several inputs waits on.</summary>
    internal WaitHandle WaitHandle => _ready.WaitHandle;
}
