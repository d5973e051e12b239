using System.Diagnostics;
using System.Globalization;

namespace MemGate.Tests.Processes;

/// <summary>
/// A child process (tests/MemGate.ProcessTarget) with memory set up for a test: it prints
/// "key=value" lines, then "ready", and lives until disposed (its stdin is closed, then it is killed).
/// </summary>
internal sealed class TargetProcess : IDisposable
{
    private readonly Process _process;
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private readonly bool _endsWithInput;

    private TargetProcess(Process process, bool endsWithInput)
    {
        _process = process;
        _endsWithInput = endsWithInput;
    }

    public int Pid => _process.Id;

    public static TargetProcess Start(params string[] arguments) => StartProgram("MemGate.ProcessTarget.dll", "ready", arguments);

    /// <summary>The memgate command itself as the child, ready once it prints a line starting with <paramref name="ready"/>.</summary>
    public static TargetProcess StartCli(string ready, params string[] arguments) => StartProgram("MemGate.Cli.dll", ready, arguments);

    private static TargetProcess StartProgram(string program, string ready, string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        // The helper ends when its input closes; memgate ps receive runs until a signal, so it is killed.
        var target = new TargetProcess(Process.Start(info)!, program == "MemGate.ProcessTarget.dll");
        try
        {
            while (target.NextLine() is { } line && !line.StartsWith(ready, StringComparison.Ordinal))
            {
                target.Remember(line);
            }
        }
        catch
        {
            target.Dispose();
            throw;
        }
        return target;
    }

    /// <summary>A value the process printed as "key=0x…".</summary>
    public ulong Address(string key) => ulong.Parse(_values[key].AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>A value the process printed as "key=…".</summary>
    public string NextValue(string key) => _values[key];

    /// <summary>The next line it prints (waiting up to 20 s), remembering its key=value pairs.</summary>
    public string? NextLine()
    {
        var read = _process.StandardOutput.ReadLineAsync();
        if (!read.Wait(TimeSpan.FromSeconds(20)))
        {
            // It lives until its input closes: killed first, or its stderr would never reach its end.
            _process.Kill(entireProcessTree: true);
            var error = _process.StandardError.ReadToEndAsync();
            throw new TimeoutException($"target process {Pid} printed nothing for 20 s; stderr: {(error.Wait(TimeSpan.FromSeconds(10)) ? error.Result : "(still open)")}");
        }
        if (read.Result is null)
        {
            throw new InvalidOperationException($"target process {Pid} exited: {_process.StandardError.ReadToEnd()}");
        }
        Remember(read.Result);
        return read.Result;
    }

    /// <summary>The next line it prints on standard error (waiting up to 20 s).</summary>
    public string ErrorLine()
    {
        var read = _process.StandardError.ReadLineAsync();
        if (!read.Wait(TimeSpan.FromSeconds(20)) || read.Result is null)
        {
            throw new TimeoutException($"target process {Pid} printed no line on stderr");
        }
        return read.Result;
    }

    private void Remember(string line)
    {
        foreach (string pair in line.Split(' '))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                _values[pair[..eq]] = pair[(eq + 1)..];
            }
        }
    }

    /// <summary>Kills the process and waits until it is gone.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_endsWithInput || !_process.WaitForExit(5000))
            {
                _process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
