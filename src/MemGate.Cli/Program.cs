using MemGate.Cli;

return CliApp.Run(args, Console.Out, Console.Error, CliInput.Standard());
