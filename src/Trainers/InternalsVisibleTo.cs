using System.Runtime.CompilerServices;

// See Transforms/InternalsVisibleTo.cs: the CLI's jobs and the tests use the network plumbing behind the public API.
[assembly: InternalsVisibleTo("Amil.MLNet.Localization")]
[assembly: InternalsVisibleTo("Amil.MLNet.Experiments")]
[assembly: InternalsVisibleTo("amil")]
[assembly: InternalsVisibleTo("Amil.MLNet.Viewer")]
[assembly: InternalsVisibleTo("Amil.MLNet.Tests")]
