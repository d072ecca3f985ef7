using System.Runtime.CompilerServices;

// Only the tests see internals (see Transforms/InternalsVisibleTo.cs).
[assembly: InternalsVisibleTo("Amil.MLNet.Tests")]
