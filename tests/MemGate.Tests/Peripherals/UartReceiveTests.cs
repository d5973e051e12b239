using MemGate.Peripherals.Uart;

namespace MemGate.Tests.Peripherals;

/// <summary>Bytes the host gives a UART wait behind its data register with the status and interrupt each part defines.</summary>
public sealed class UartReceiveTests
{
    [Fact]
    public void Stm32_usart_shows_rxne_raises_its_line_with_rxneie_and_flags_overrun()
    {
        bool line = false;
        var usart = new Stm32Usart("USART1", 0x4001_3800, TextWriter.Null, level => line = level, fifoDepth: 2);
        var block = usart.Block;
        usart.Receive(0x41);
        Assert.Equal(0UL, block.Read(0x00, 4) & (1 << 5));         // ignored: UE and RE are off
        block.Write(0x0C, 4, (1 << 13) | (1 << 5) | (1 << 2));     // UE | RXNEIE | RE
        usart.Receive(0x41);
        Assert.True(line);
        Assert.NotEqual(0UL, block.Read(0x00, 4) & (1 << 5));      // RXNE
        usart.Receive(0x42);
        usart.Receive(0x43);                                       // FIFO of 2 is full: dropped, ORE
        Assert.NotEqual(0UL, block.Read(0x00, 4) & (1 << 3));
        Assert.Equal(0x41UL, block.Read(0x04, 4));                 // DR, oldest first; clears ORE
        Assert.Equal(0x42UL, block.Read(0x04, 4));
        Assert.False(line);
        Assert.Equal(0UL, block.Read(0x00, 4) & ((1 << 5) | (1 << 3)));
    }

    [Fact]
    public void Pl011_sets_rxris_and_fr_and_interrupts_through_imsc()
    {
        bool line = false;
        var uart = new Pl011Uart("UART0", 0x0900_0000, TextWriter.Null, level => line = level);
        var registers = uart.Blocks[0].Handler;
        Assert.NotEqual(0UL, registers.Read(0x018, 4) & (1 << 4));  // FR.RXFE
        uart.Receive((byte)'x');
        Assert.Equal(0UL, registers.Read(0x018, 4) & (1 << 4));
        Assert.False(line);                                         // masked
        registers.Write(0x038, 4, 1 << 4);                          // IMSC.RXIM
        Assert.True(line);
        Assert.Equal((ulong)'x', registers.Read(0x000, 4));
        Assert.False(line);                                         // FIFO empty again
    }

    [Fact]
    public void Ns16550_shows_data_ready_and_identifies_the_receive_interrupt()
    {
        bool line = false;
        var uart = new Ns16550Uart("UART0", 0x1000_0000, TextWriter.Null, level => line = level);
        var registers = uart.Blocks[0].Handler;
        registers.Write(1, 1, 0x01);                                // IER.ERBFI
        uart.Receive((byte)'q');
        Assert.True(line);
        Assert.Equal(0x61UL, registers.Read(5, 1));                 // LSR: THRE | TEMT | DR
        Assert.Equal(0x04UL, registers.Read(2, 1));                 // IIR: received data available
        Assert.Equal((ulong)'q', registers.Read(0, 1));
        Assert.False(line);
        Assert.Equal(0x01UL, registers.Read(2, 1));                 // nothing pending
    }
}
