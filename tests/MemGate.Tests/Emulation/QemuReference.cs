using System.Diagnostics;

namespace MemGate.Tests.Emulation;

/// <summary>
/// Runs a firmware image on the QEMU machine that matches a MemGate device template (the reference the
/// differential tests compare with): stm32vldiscovery for STM32F103, netduinoplus2 for STM32F407, virt for RV32/RV64 and (with a Cortex-A53) for CortexA53.
/// </summary>
internal static class QemuReference
{
    /// <summary>The QEMU binary and arguments for <paramref name="device"/>'s board.</summary>
    public static (string Binary, string[] Arguments) Command(string device, string image) => device switch
    {
        "STM32F103" => ("qemu-system-arm", ["-M", "stm32vldiscovery", "-display", "none", "-monitor", "none", "-serial", "stdio",
            "-semihosting-config", "enable=on,target=native", "-kernel", image]),
        // netduinoplus2 is an STM32F405 (Cortex-M4F) with USART1 at the STM32F4 address, as MemGate's STM32F407 template.
        "STM32F407" => ("qemu-system-arm", ["-M", "netduinoplus2", "-display", "none", "-monitor", "none", "-serial", "stdio",
            "-semihosting-config", "enable=on,target=native", "-kernel", image]),
        "RV32" => ("qemu-system-riscv32", ["-M", "virt", "-bios", "none", "-display", "none", "-monitor", "none", "-serial", "stdio", "-kernel", image]),
        "RV64" => ("qemu-system-riscv64", ["-M", "virt", "-bios", "none", "-display", "none", "-monitor", "none", "-serial", "stdio", "-kernel", image]),
        "CortexA53" => ("qemu-system-aarch64", ["-M", "virt", "-cpu", "cortex-a53", "-nic", "none", "-display", "none", "-monitor", "none", "-serial", "stdio",
            "-semihosting-config", "enable=on,target=native", "-kernel", image]),
        _ => throw new ArgumentException($"No QEMU board for '{device}'.", nameof(device)),
    };

    /// <summary>The full path of <paramref name="binary"/> on PATH, or null when QEMU is not installed.</summary>
    public static string? Find(string binary) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, binary)).FirstOrDefault(File.Exists);

    /// <summary>
    /// QEMU's exit code for a raw image of <paramref name="device"/>'s board (loaded at its flash, as -kernel loads a
    /// binary); the test is skipped where QEMU is not installed.
    /// </summary>
    public static async Task<int> ExitCodeOfRawImageAsync(string device, byte[] image, TimeSpan timeout)
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("memgate-qemu").FullName, "image.bin");
        File.WriteAllBytes(file, image);
        try
        {
            var (binary, arguments) = Command(device, file);
            string? qemu = Find(binary);
            Skip.If(qemu is null, $"{binary} is not installed (Debian: qemu-system-arm)");
            return (await RunAsync(qemu!, arguments, timeout)).ExitCode;
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    /// <summary>
    /// Runs QEMU (which must exist) with <paramref name="arguments"/> and returns its console output and exit code. QEMU
    /// itself hangs now and then on these images (measured here: 1 of 200 runs of exceptions.elf never ended, the
    /// others took 0.05 s), so a run that times out is tried once more; two in a row fail.
    /// </summary>
    public static async Task<(string Output, int ExitCode)> RunAsync(string binary, IEnumerable<string> arguments, TimeSpan timeout)
    {
        try
        {
            return await RunOnceAsync(binary, arguments, timeout);
        }
        catch (TimeoutException)
        {
            return await RunOnceAsync(binary, arguments, timeout);
        }
    }

    private static async Task<(string Output, int ExitCode)> RunOnceAsync(string binary, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(binary, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        using var process = Process.Start(info)!;
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            var error = process.StandardError.ReadToEndAsync(limit.Token);
            string output = await process.StandardOutput.ReadToEndAsync(limit.Token);
            await process.WaitForExitAsync(limit.Token);
            await error;
            return (output.ReplaceLineEndings("\n"), process.ExitCode);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{binary} did not finish within {timeout.TotalSeconds} s.");
        }
    }

    /// <summary>Reads a recorded QEMU run (the program's output, then a line "@exit N", as tests/firmware/*/build.sh writes it).</summary>
    public static (string Output, int ExitCode) ReadRecord(string path)
    {
        string text = File.ReadAllText(path);
        int marker = text.LastIndexOf("\n@exit ", StringComparison.Ordinal);
        return (text[..marker], int.Parse(text[(marker + "\n@exit ".Length)..].Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
