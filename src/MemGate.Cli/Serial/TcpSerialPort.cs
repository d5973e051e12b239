using System.Net;
using System.Net.Sockets;
using System.Text;
using MemGate.Emulation;

namespace MemGate.Cli.Serial;

/// <summary>
/// A guest UART on a local TCP socket (127.0.0.1), as QEMU's <c>-serial tcp::PORT,server</c>: one client at a
/// time; what it sends is the UART's input, what the UART transmits goes to it (and is dropped while nobody is
/// connected). When a client leaves, the next may connect; the input stays open while the socket listens.
/// </summary>
internal sealed class TcpSerialPort : IDisposable
{
    private readonly Lock _lock = new();
    private TcpListener? _listener;
    private NetworkStream? _client;
    private Thread? _reader;
    private volatile bool _closed;

    /// <summary>A port for UART <paramref name="uart"/> on TCP port <paramref name="port"/> (0: any free one); not listening yet.</summary>
    public TcpSerialPort(string uart, int port, bool wait)
    {
        Uart = uart;
        RequestedPort = port;
        Wait = wait;
        Output = new SocketWriter(this);
    }

    /// <summary>The UART's name as given.</summary>
    public string Uart { get; }

    /// <summary>The port asked for (0: any).</summary>
    public int RequestedPort { get; }

    /// <summary>Whether the run waits for the first client before it starts.</summary>
    public bool Wait { get; }

    /// <summary>The port listened on (after <see cref="Start"/>).</summary>
    public int Port { get; private set; }

    /// <summary>What clients send.</summary>
    public SerialInput Input { get; } = new();

    /// <summary>Where the UART writes.</summary>
    public TextWriter Output { get; }

    /// <summary>Listens; with <see cref="Wait"/>, returns once the first client is connected.</summary>
    /// <exception cref="SocketException">The port cannot be listened on.</exception>
    public void Start(TextWriter error)
    {
        _listener = new TcpListener(IPAddress.Loopback, RequestedPort);
        _listener.Start(1);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        error.WriteLine($"memgate run: {Uart} is on tcp 127.0.0.1:{Port}{(Wait ? "; waiting for a connection" : "")}");
        error.Flush();
        if (Wait)
        {
            Attach(_listener.AcceptTcpClient());
        }
        _reader = new Thread(Serve) { IsBackground = true, Name = $"memgate {Uart} tcp" };
        _reader.Start();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _closed = true;
        _listener?.Stop();
        lock (_lock)
        {
            _client?.Dispose();
            _client = null;
        }
    }

    private void Attach(TcpClient client)
    {
        client.NoDelay = true;
        lock (_lock)
        {
            _client = client.GetStream();
        }
    }

    // Reads the connected client until it leaves, then waits for the next one, until disposed.
    private void Serve()
    {
        var buffer = new byte[4096];
        try
        {
            while (!_closed)
            {
                NetworkStream? stream;
                lock (_lock)
                {
                    stream = _client;
                }
                if (stream is null)
                {
                    Attach(_listener!.AcceptTcpClient());
                    continue;
                }
                int read;
                try
                {
                    read = stream.Read(buffer);
                }
                catch (IOException)
                {
                    read = 0;
                }
                if (read == 0)
                {
                    Drop(stream);
                    continue;
                }
                Input.Write(buffer.AsSpan(0, read));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The listener was stopped: the run is over.
        }
    }

    private void Drop(NetworkStream stream)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_client, stream))
            {
                _client = null;
            }
        }
        stream.Dispose();
    }

    private void Send(byte value)
    {
        lock (_lock)
        {
            if (_client is not { } stream)
            {
                return;   // nobody connected: dropped, as a line nobody listens to
            }
            try
            {
                stream.WriteByte(value);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                _client = null;
            }
        }
    }

    // The UART's characters are bytes (0-255) on the wire.
    private sealed class SocketWriter(TcpSerialPort port) : TextWriter
    {
        public override Encoding Encoding => Encoding.Latin1;

        public override void Write(char value) => port.Send((byte)value);
    }
}
