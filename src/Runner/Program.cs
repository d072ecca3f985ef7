// Before libtorch allocates anything: its freed buffers are kept for the next step instead of unmapped.
Amil.MLNet.Trainers.Kernels.CpuAllocator.KeepFreedMemory();
return Amil.MLNet.Runner.Cli.Run(args);
