using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Amil.MLNet.Tests")]
[assembly: InternalsVisibleTo("Amil.MLNet.Localization")]
[assembly: InternalsVisibleTo("Amil.MLNet.Data")]
[assembly: InternalsVisibleTo("Amil.MLNet.Trainers")]
