using System.Text;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Tests.Emulation;

/// <summary>Host bytes reaching a guest UART: paced by its FIFO, with its RX interrupt, and what a waiting CPU does meanwhile.</summary>
public sealed class SerialInputTests
{
    internal static string EchoFirmware(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "uart-echo", name);

    private static (RunResult Result, string Output) RunEcho(SerialInput input, TimeSpan? timeout = null)
    {
        var output = new StringWriter();
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), output);
        machine.Load(FirmwareReader.Load(EchoFirmware("echo-m3.elf")));
        machine.ConnectSerialInput("usart1", input);
        var result = machine.Run(timeout: timeout ?? TimeSpan.FromSeconds(30));
        return (result, output.ToString());
    }

    [Fact]
    public void Bytes_reach_the_echo_firmware_through_the_rx_interrupt_and_none_is_lost()
    {
        // 200 bytes against a 16-byte FIFO and a 64-byte ring: delivered only as the FIFO has room.
        string text = string.Concat(Enumerable.Range(0, 20).Select(i => $"line {i:D3}\n"));
        var (result, output) = RunEcho(SerialInput.FromBytes(Encoding.ASCII.GetBytes(text + "\u0004")));
        Assert.Equal("echo ready\n" + text.ToUpperInvariant() + "\nbye\n", output);
        Assert.Equal((RunOutcome.Exit, text.Length % 100), (result.Outcome, result.ExitCode));
    }

    [Theory]
    [InlineData("echo-rv32.elf", "RV32", "UART0")]        // ns16550a, polled through LSR.DR
    [InlineData("echo-a53.elf", "CortexA53", "UART0")]    // pl011, polled through FR.RXFE
    public void Every_uart_model_receives_what_the_host_sends(string firmware, string device, string uart)
    {
        var output = new StringWriter();
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load(device), output);
        machine.Load(FirmwareReader.Load(EchoFirmware(firmware)));
        Assert.Equal(uart, machine.SerialPortNames[0]);
        machine.ConnectSerialInput(uart, SerialInput.FromBytes("polled bytes\n\u0004"u8));
        var result = machine.Run(timeout: TimeSpan.FromSeconds(30));
        Assert.Equal("echo ready\nPOLLED BYTES\n\nbye\n", output.ToString());
        Assert.Equal((RunOutcome.Exit, 13), (result.Outcome, result.ExitCode));
    }

    [Fact]
    public void A_waiting_cpu_ends_idle_once_the_input_is_complete_and_delivered()
    {
        var (result, output) = RunEcho(SerialInput.FromBytes("abc"u8));
        Assert.Equal("echo ready\nABC", output);
        Assert.Equal(RunOutcome.Idle, result.Outcome);
    }

    [Fact]
    public void A_waiting_cpu_waits_for_input_that_arrives_later_instead_of_ending_idle()
    {
        var input = new SerialInput();
        var writer = new Thread(() =>
        {
            foreach (string part in (string[])["hi ", "there", "\u0004"])
            {
                Thread.Sleep(30);
                input.Write(Encoding.ASCII.GetBytes(part));
            }
        });
        writer.Start();
        var (result, output) = RunEcho(input);
        writer.Join();
        Assert.Equal("echo ready\nHI THERE\nbye\n", output);
        Assert.Equal(RunOutcome.Exit, result.Outcome);
    }

    [Fact]
    public void An_open_input_that_never_sends_ends_with_the_timeout_not_idle()
    {
        var (result, _) = RunEcho(new SerialInput(), TimeSpan.FromMilliseconds(200));
        Assert.Equal(RunOutcome.Timeout, result.Outcome);
    }

    [Fact]
    public void A_stop_request_ends_a_run_waiting_for_input()
    {
        // The guest writes from the run's thread; the stopper waits for a signal, never reading the writer's buffer.
        using var output = new NewlineSignallingWriter();
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), output);
        machine.Load(FirmwareReader.Load(EchoFirmware("echo-m3.elf")));
        machine.ConnectSerialInput("USART1", new SerialInput());
        var stopper = new Thread(() =>
        {
            if (output.FirstLine.Wait(TimeSpan.FromSeconds(30)))
            {
                machine.RequestStop();
            }
        }) { IsBackground = true };
        stopper.Start();
        var result = machine.Run(timeout: TimeSpan.FromSeconds(30));
        Assert.True(stopper.Join(TimeSpan.FromSeconds(30)), "the stopper did not end");
        Assert.Equal(RunOutcome.Interrupted, result.Outcome);
        Assert.Equal("echo ready\n", output.ToString());
    }

    private sealed class NewlineSignallingWriter : StringWriter
    {
        public ManualResetEventSlim FirstLine { get; } = new();

        // Every overload StringWriter writes through by itself, so a newline signals however it is written.
        public override void Write(char value)
        {
            base.Write(value);
            Signal([value]);
        }

        public override void Write(string? value)
        {
            base.Write(value);
            Signal(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            base.Write(buffer, index, count);
            Signal(buffer.AsSpan(index, count));
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            base.Write(buffer);
            Signal(buffer);
        }

        private void Signal(ReadOnlySpan<char> written)
        {
            if (written.Contains('\n'))
            {
                FirstLine.Set();
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                FirstLine.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    [Fact]
    public void Connecting_to_a_name_that_is_no_uart_lists_the_uarts()
    {
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
        var e = Assert.Throws<ArgumentException>(() => machine.ConnectSerialInput("USART9", new SerialInput()));
        Assert.Contains("USART1, USART2, USART3", e.Message, StringComparison.Ordinal);
        Assert.Equal("USART1", machine.SerialPortNames[0]);
    }
}
