namespace MemGate.Cli;

/// <summary>
/// Writing the command's standard output failed (a full disk, an I/O error): the host's fault, not the input's, so
/// every command ends with <see cref="CliApp.HostIOError"/> saying so.
/// </summary>
internal sealed class OutputFailedException(string message) : IOException(message);
