using System.Text;
using System.Threading.Channels;

namespace MemGate.Debugging;

/// <summary>
/// The GDB remote serial protocol's framing over a stream: <c>$payload#checksum</c> packets with
/// acknowledgements (until no-ack mode), <c>}</c> escapes, and the Ctrl-C byte. A reader thread turns the
/// bytes into <see cref="GdbInput"/>s so that an interrupt is seen while the machine runs; replies are
/// written from the session's thread.
/// </summary>
internal sealed class GdbConnection : IDisposable
{
    /// <summary>The largest packet taken (and announced in qSupported): larger ones are answered with an error.</summary>
    public const int MaxPacket = 0x4000;

    private readonly Stream _stream;
    private readonly Channel<GdbInput> _inputs = Channel.CreateUnbounded<GdbInput>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Lock _write = new();
    private volatile bool _noAck;

    public GdbConnection(Stream stream)
    {
        _stream = stream;
        var reader = new Thread(ReadLoop) { IsBackground = true, Name = "gdb-reader" };
        reader.Start();
    }

    /// <summary>Packets, interrupts and the end of the connection, in order of arrival.</summary>
    public ChannelReader<GdbInput> Inputs => _inputs.Reader;

    /// <summary>Stops sending and expecting acknowledgements (after the reply to QStartNoAckMode).</summary>
    public void StartNoAckMode() => _noAck = true;

    /// <summary>Sends a packet with a text payload.</summary>
    public void Send(string payload) => Send(Encoding.ASCII.GetBytes(payload));

    /// <summary>Sends a packet, escaping what the protocol reserves.</summary>
    public void Send(ReadOnlySpan<byte> payload)
    {
        var packet = new List<byte>(payload.Length + 8) { (byte)'$' };
        byte sum = 0;
        foreach (byte b in payload)
        {
            if (b is (byte)'$' or (byte)'#' or (byte)'}' or (byte)'*')
            {
                packet.Add((byte)'}');
                sum += (byte)'}';
                packet.Add((byte)(b ^ 0x20));
                sum += (byte)(b ^ 0x20);
            }
            else
            {
                packet.Add(b);
                sum += b;
            }
        }
        packet.Add((byte)'#');
        packet.AddRange(Encoding.ASCII.GetBytes(sum.ToString("x2")));
        Write([.. packet]);
    }

    public void Dispose() => _stream.Dispose();

    private void Write(byte[] bytes)
    {
        try
        {
            lock (_write)
            {
                _stream.Write(bytes);
                _stream.Flush();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The reader sees the connection end and reports it; nothing to send to.
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[4096];
        int length = 0, position = 0;
        int Next()
        {
            if (position == length)
            {
                try
                {
                    length = _stream.Read(buffer);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    length = 0;
                }
                position = 0;
                if (length == 0)
                {
                    return -1;
                }
            }
            return buffer[position++];
        }

        var payload = new List<byte>();
        while (true)
        {
            int b = Next();
            if (b < 0)
            {
                break;
            }
            if (b == 0x03)
            {
                _inputs.Writer.TryWrite(GdbInput.Interrupt);
                continue;
            }
            if (b != '$')
            {
                continue;   // acknowledgements, and noise between packets
            }
            payload.Clear();
            byte sum = 0;
            bool escaped = false, tooLong = false, ended = false;
            while (true)
            {
                b = Next();
                if (b < 0)
                {
                    ended = true;
                    break;
                }
                if (b == '#')
                {
                    break;
                }
                sum += (byte)b;
                if (payload.Count > MaxPacket)
                {
                    tooLong = true;
                    continue;
                }
                if (escaped)
                {
                    payload.Add((byte)(b ^ 0x20));
                    escaped = false;
                }
                else if (b == '}')
                {
                    escaped = true;
                }
                else
                {
                    payload.Add((byte)b);
                }
            }
            int high = ended ? -1 : Next(), low = high < 0 ? -1 : Next();
            if (low < 0)
            {
                break;
            }
            bool valid = byte.TryParse($"{(char)high}{(char)low}", System.Globalization.NumberStyles.HexNumber, null, out byte expected) && expected == sum;
            if (!_noAck)
            {
                Write([valid ? (byte)'+' : (byte)'-']);
            }
            if (!valid && !_noAck)
            {
                continue;   // the debugger sends it again
            }
            _inputs.Writer.TryWrite(tooLong || !valid ? GdbInput.Malformed : new GdbInput(GdbInputKind.Packet, [.. payload]));
        }
        _inputs.Writer.TryWrite(GdbInput.Closed);
        _inputs.Writer.TryComplete();
    }
}
