namespace MemGate.Peripherals;

/// <summary>A UART that can be given bytes to receive (from a terminal, a file or a socket).</summary>
public interface ISerialPort
{
    /// <summary>A byte arrives on the UART's RX line.</summary>
    void Receive(byte value);
}
