using System.Runtime.CompilerServices;

// The three packages (Transforms, Slides, Trainers) are one library shipped at one version (the Amil.MLNet
// meta-package), and share their persistence and image plumbing as ML.NET's own assemblies do. Everything else in
// this repository (data, localization, the application layer, the CLI, the viewer) uses the public API only; the tests
// see internals.
[assembly: InternalsVisibleTo("Amil.MLNet.Slides")]
[assembly: InternalsVisibleTo("Amil.MLNet.Trainers")]
[assembly: InternalsVisibleTo("Amil.MLNet.Tests")]
