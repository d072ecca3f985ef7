return Amil.MLNet.Runner.Cli.Run(args);
