namespace MemGate.Cli;

/// <summary>
/// The command line itself is wrong (exit code 2, as a parser error): an option missing, options that do not go
/// together, a value out of range or malformed. A well-formed value that the files or the device refuse (a symbol
/// the image lacks, a region the device does not have) is a <see cref="CommandInputException"/> (exit code 1).
/// </summary>
internal sealed class CommandUsageException(string message) : MemGateException(message);
