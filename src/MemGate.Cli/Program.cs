using MemGate.Cli;

return CliApp.Run(args, StandardStreams.Out, StandardStreams.Error, CliInput.Standard());
