using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MemGate.Cli;
using MemGate.Tests.Emulation;

namespace MemGate.Tests.Cli;

/// <summary><c>memgate run</c> with UART input: standard input, <c>--uart-input</c>, <c>--uart NAME=tcp:PORT</c>, into the echo firmware.</summary>
public sealed class RunConsoleTests
{
    private static readonly string Echo = SerialInputTests.EchoFirmware("echo-m3.elf");

    private static (int Exit, string Out, string Err) RunWithInput(byte[] input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = CliApp.Run(args, output, error, new CliInput(() => new MemoryStream(input)));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Piped_standard_input_feeds_the_console_uart()
    {
        var (exit, output, _) = RunWithInput("hello, echo\n\u0004"u8.ToArray(), "run", Echo, "--device", "STM32F103");
        Assert.Equal("echo ready\nHELLO, ECHO\n\nbye\n", output);
        Assert.Equal(12, exit);   // the firmware's code: bytes echoed
    }

    [Fact]
    public void Standard_input_that_ends_leaves_the_waiting_firmware_idle()
    {
        var (exit, output, error) = RunWithInput("abc"u8.ToArray(), "run", Echo, "--device", "STM32F103");
        Assert.Equal("echo ready\nABC", output);
        Assert.Equal(CliApp.Idle, exit);
        Assert.Contains("idle", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_real_memgate_process_echoes_what_is_piped_into_it()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "MemGate.Cli.dll");
        var info = new ProcessStartInfo("dotnet", [cli, "run", Echo, "--device", "STM32F103"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        process.StandardInput.Write("piped in\n\u0004");
        process.StandardInput.Close();
        string output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000));
        Assert.Equal("echo ready\nPIPED IN\n\nbye\n", output);
        Assert.Equal(9, process.ExitCode);
    }

    [Fact]
    public void Uart_input_file_feeds_the_console_instead_of_standard_input()
    {
        string file = Path.GetTempFileName();
        File.WriteAllText(file, "from a file\u0004");
        try
        {
            var (exit, output, _) = RunWithInput("ignored"u8.ToArray(), "run", Echo, "--device", "STM32F103", "--uart-input", file);
            Assert.Equal("echo ready\nFROM A FILE\nbye\n", output);
            Assert.Equal(11, exit);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_uart_on_a_tcp_socket_talks_to_its_client()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        (int Exit, string Out, string Err) result = default;
        var run = new Thread(() => result = CliRunner.Run("run", Echo, "--device", "STM32F103", "--uart", $"usart1=tcp:{port}", "--timeout", "60"))
        {
            IsBackground = true,   // a run that never ends must not keep the test host alive
        };
        run.Start();
        using var client = new TcpClient();
        for (int attempt = 0; !client.Connected; attempt++)
        {
            try
            {
                client.Connect(IPAddress.Loopback, port);
            }
            catch (SocketException) when (attempt < 600)
            {
                Thread.Sleep(100);
            }
        }
        var stream = client.GetStream();
        stream.ReadTimeout = 60_000;
        stream.Write("over tcp\u0004"u8);
        var received = new StringBuilder();
        var buffer = new byte[256];
        while (!received.ToString().EndsWith("bye\n", StringComparison.Ordinal))
        {
            int n = stream.Read(buffer);
            if (n == 0)
            {
                break;
            }
            received.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        Assert.True(run.Join(TimeSpan.FromSeconds(90)), "the run did not end");
        Assert.Equal("echo ready\nOVER TCP\nbye\n", received.ToString());
        Assert.Equal("", result.Out);   // the UART's output went to the socket, not stdout
        Assert.Equal(8, result.Exit);
        Assert.Contains($"usart1 is on tcp 127.0.0.1:{port}", result.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("USART9=tcp:4000", "no UART called 'USART9'", "Did you mean 'USART1'?")]
    [InlineData("USART1", "give NAME=tcp:PORT", null)]
    [InlineData("USART1=serial:3", "is not a socket", null)]
    [InlineData("USART1=tcp:99999", "is not a TCP port", null)]
    public void Bad_uart_options_are_clear_errors(string spec, string message, string? suggestion)
    {
        var (exit, _, error) = CliRunner.Run("run", Echo, "--device", "STM32F103", "--uart", spec);
        Assert.Equal(message.StartsWith("no UART", StringComparison.Ordinal) ? CliApp.InvalidInput : CliApp.Usage, exit);   // malformed: usage
        Assert.Contains($"--uart {spec}", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
        if (suggestion is not null)
        {
            Assert.Contains(suggestion, error, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Uart_input_on_a_device_without_a_uart_model_is_refused()
    {
        string file = Path.GetTempFileName();
        string device = Path.Combine(Path.GetTempPath(), $"nouart-{Guid.NewGuid():N}.toml");
        File.WriteAllText(device, """
            [device]
            name = "NoUart"
            cpu = "cortex-m3"
            architecture = "armv7-m"
            [[regions]]
            name = "Flash"
            guest_address = "0x08000000"
            size = "128KB"
            type = "flash"
            [[regions]]
            name = "SRAM"
            guest_address = "0x20000000"
            size = "20KB"
            type = "ram"
            """);
        try
        {
            var (exit, _, error) = CliRunner.Run("run", Echo, "--device", device, "--uart-input", file);
            Assert.Equal(CliApp.InvalidInput, exit);
            Assert.Contains("--uart-input: device 'NoUart' has no UART model", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
            File.Delete(device);
        }
    }
}
