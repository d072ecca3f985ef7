using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>One slide's features taken by TileSlides (see <see cref="SlideFeatures.OnSlide"/>).</summary>
/// <param name="SlidePath">The slide file.</param>
/// <param name="Tiles">Its tiles.</param>
/// <param name="Cached">Read from the cache (else encoded now).</param>
/// <param name="Seconds">Encoding time (0 when cached).</param>
public sealed record SlideEncoding(string SlidePath, int Tiles, bool Cached, double Seconds);
