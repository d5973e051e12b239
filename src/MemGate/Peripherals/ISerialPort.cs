namespace MemGate.Peripherals;

/// <summary>A UART that can be given bytes to receive (from a terminal, a file or a socket).</summary>
public interface ISerialPort
{
    /// <summary>A byte arrives on the UART's RX line.</summary>
    void Receive(byte value);

    /// <summary>
    /// Whether a byte given now would be kept (the receiver is enabled and its FIFO has room): a host feeding
    /// the UART waits for this instead of overrunning it, as a terminal waits for a serial line.
    /// </summary>
    bool CanReceive { get; }
}
