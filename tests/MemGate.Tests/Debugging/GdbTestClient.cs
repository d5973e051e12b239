using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MemGate.Tests.Debugging;

/// <summary>A minimal GDB remote-protocol client for tests: sends packets (with checksums and acks) and reads replies, with a deadline on every read.</summary>
internal sealed class GdbTestClient : IDisposable
{
    private readonly TcpClient _client = new();
    private readonly NetworkStream _stream;

    public GdbTestClient(IPEndPoint endpoint)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                _client.Connect(endpoint);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);   // the server is not listening yet
            }
        }
        _stream = _client.GetStream();
        _stream.ReadTimeout = 20_000;
    }

    /// <summary>Sends a packet and returns the reply's payload (console 'O' packets before it are collected in <paramref name="console"/>).</summary>
    public string Ask(string payload, StringBuilder? console = null)
    {
        SendPacket(payload);
        return Reply(console);
    }

    public void SendPacket(string payload)
    {
        byte sum = 0;
        foreach (char c in payload)
        {
            sum += (byte)c;
        }
        Raw(Encoding.Latin1.GetBytes($"${payload}#{sum:x2}"));
    }

    public void Raw(byte[] bytes) => _stream.Write(bytes);

    /// <summary>The next reply packet's payload, skipping acks and collecting console output.</summary>
    public string Reply(StringBuilder? console = null)
    {
        while (true)
        {
            int b;
            do
            {
                b = _stream.ReadByte();
                if (b < 0)
                {
                    throw new IOException("The server closed the connection.");
                }
            }
            while (b != '$');
            var payload = new StringBuilder();
            while ((b = _stream.ReadByte()) != '#')
            {
                if (b < 0)
                {
                    throw new IOException("The server closed the connection inside a packet.");
                }
                payload.Append(b == '}' ? (char)(_stream.ReadByte() ^ 0x20) : (char)b);
            }
            _stream.ReadByte();
            _stream.ReadByte();
            _stream.WriteByte((byte)'+');
            string text = payload.ToString();
            if (text.Length > 1 && text[0] == 'O' && text != "OK")
            {
                console?.Append(Encoding.UTF8.GetString(Convert.FromHexString(text[1..])));
                continue;
            }
            return text;
        }
    }

    public void Dispose() => _client.Dispose();
}
