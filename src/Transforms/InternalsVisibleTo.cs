using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Amil.MLNet.Tests")]
