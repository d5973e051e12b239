namespace MemGate.Cli;

/// <summary>An option or argument value the command cannot use (the value is well-formed for the parser but wrong for the command).</summary>
internal sealed class CommandInputException(string message) : MemGateException(message);
