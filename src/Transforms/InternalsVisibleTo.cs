using System.Runtime.CompilerServices;

// Only the tests see internals. The three packages (Transforms, Slides, Trainers) share their saved-state, TIFF and
// feature-store plumbing as public types hidden from IntelliSense (EditorBrowsable Never), so each package, like the
// data, application, CLI and viewer projects, builds on public API alone.
[assembly: InternalsVisibleTo("Amil.MLNet.Tests")]
