using System.Runtime.CompilerServices;

// The packages' public API is what an ML.NET app needs (PublicAPI.Shipped.txt); the rest of this repository (data,
// localization, the CLI's jobs, tests) also uses the image and file plumbing behind it.
[assembly: InternalsVisibleTo("Amil.MLNet.Slides")]
[assembly: InternalsVisibleTo("Amil.MLNet.Trainers")]
[assembly: InternalsVisibleTo("Amil.MLNet.Data")]
[assembly: InternalsVisibleTo("Amil.MLNet.Localization")]
[assembly: InternalsVisibleTo("Amil.MLNet.Experiments")]
[assembly: InternalsVisibleTo("amil")]
[assembly: InternalsVisibleTo("Amil.MLNet.Viewer")]
[assembly: InternalsVisibleTo("Amil.MLNet.Tests")]
