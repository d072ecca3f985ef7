using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Encoders;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;
using Amil.MLNet.Transforms.Stain;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Amil.MLNet.Slides;

/// <summary>The row mapping behind TileSlides: slide path + saved tiling → the slide's tile features, their grid and
/// their level-0 corners, read from the slide feature cache or encoded into it.</summary>
[CustomMappingFactoryAttribute(ContractName)]
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
internal sealed class SlideTilesMappingFactory
    : CustomMappingFactory<SlideTilesMappingFactory.Input, SlideTilesMappingFactory.Output>
{
    /// <summary>The name model.zip files know this mapping by.</summary>
    public const string ContractName = "Amil.SlideTiles.v1";
    internal const string PathColumn = "__AmilSlidePath",
        StateColumn = "__AmilSlideTilesState",
        FeaturesColumn = "__AmilSlideFeatures",
        LayoutColumn = "__AmilSlideLayout",
        CoordinatesColumn = "__AmilSlideCoordinates";

    /// <summary>ML.NET plumbing: the mapping's input row.</summary>
    public sealed class Input
    {
        /// <summary>The slide file.</summary>
        [ColumnName(PathColumn)]
        public string SlidePath { get; set; } = "";

        /// <summary>The saved tiling.</summary>
        [ColumnName(StateColumn)]
        public float[] State { get; set; } = [];
    }

    /// <summary>ML.NET plumbing: the mapping's output row.</summary>
    public sealed class Output
    {
        /// <summary>N × D features, tile-major.</summary>
        [ColumnName(FeaturesColumn)]
        public float[] Features { get; set; } = [];

        /// <summary>The bag's grid (<see cref="BagLayout"/>, encoded).</summary>
        [ColumnName(LayoutColumn)]
        public int[] Layout { get; set; } = [];

        /// <summary>Each tile's level-0 corner: x, y.</summary>
        [ColumnName(CoordinatesColumn)]
        public int[] Coordinates { get; set; } = [];
    }

    internal static void Map(Input input, Output output) => Tile(input.SlidePath, null, null, input.State, output);

    /// <summary>A slide's bag from the cache (or encoded into it), tiled within <paramref name="regions"/> and
    /// recoloured by <paramref name="augmentation"/> when given.</summary>
    internal static void Tile(
        string slidePath,
        string? regions,
        ColourAugmentation? augmentation,
        float[] state,
        Output output
    )
    {
        if (string.IsNullOrEmpty(slidePath))
            throw new ArgumentException("TileSlides: a row has no slide path.");
        var (tiling, encoder, sha256, stain, quality) = SlideTilesState.Decode(state);
        EncoderProvenance.Check(encoder, sha256);
        var cache = new SlideFeatureCache(SlideFeatures.CacheFolder, tiling, null, null, encoder, stain, quality);
        SlideFeatureBag Bag(string slide)
        {
            var outcome = cache.Get(slide, regions: regions, augmentation: augmentation);
            SlideFeatures.OnSlide?.Invoke(
                new SlideEncoding(slide, outcome.Bag.Tiles.Count, outcome.Hit, outcome.Seconds)
            );
            return outcome.Bag;
        }
        if (SlideSets.IsSet(slidePath) && (regions is not null || augmentation is not null))
            throw new ArgumentException(
                $"TileSlides: {slidePath}: a slide set is tiled whole; regions and colour augmentation are per slide."
            );
        // A slide set's bag is its slides' tiles one after another.
        var bag = SlideSets.IsSet(slidePath)
            ? SlideFeatureBag.Concatenate([.. SlideSets.Read(slidePath).Select(Bag)])
            : Bag(slidePath);
        output.Features = bag.Features;
        output.Layout = bag.Layout.Encode();
        output.Coordinates = bag.Tiles.SelectMany(t => new[] { t.X, t.Y }).ToArray();
    }

    /// <inheritdoc/>
    public override Action<Input, Output> GetMapping() => Map;
}

/// <summary>The row mapping behind TileSlides with per-row tiling (<see cref="SlideTilesOptions.RegionsColumnName"/>,
/// <see cref="SlideTilesOptions.AugmentationColumnName"/>): as <see cref="SlideTilesMappingFactory"/>, each slide tiled
/// within its row's annotated regions and recoloured by its row's augmentation ("" for neither).</summary>
[CustomMappingFactoryAttribute(ContractName)]
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
internal sealed class SlideTilesPerRowMappingFactory
    : CustomMappingFactory<SlideTilesPerRowMappingFactory.Input, SlideTilesMappingFactory.Output>
{
    /// <summary>The name model.zip files know this mapping by.</summary>
    public const string ContractName = "Amil.SlideTilesPerRow.v1";
    internal const string RegionsColumn = "__AmilSlideRegions",
        AugmentationColumn = "__AmilSlideAugmentation";

    /// <summary>ML.NET plumbing: the mapping's input row.</summary>
    public sealed class Input
    {
        /// <summary>The slide file.</summary>
        [ColumnName(SlideTilesMappingFactory.PathColumn)]
        public string SlidePath { get; set; } = "";

        /// <summary>The slide's annotation file or mask image; "" for all its tissue.</summary>
        [ColumnName(RegionsColumn)]
        public string Regions { get; set; } = "";

        /// <summary>The recolouring ("hed 0.05 #1", <see cref="ColourAugmentation"/>); "" for none.</summary>
        [ColumnName(AugmentationColumn)]
        public string Augmentation { get; set; } = "";

        /// <summary>The saved tiling.</summary>
        [ColumnName(SlideTilesMappingFactory.StateColumn)]
        public float[] State { get; set; } = [];
    }

    internal static void Map(Input input, SlideTilesMappingFactory.Output output)
    {
        ColourAugmentation? augmentation;
        try
        {
            augmentation = ColourAugmentation.Parse(input.Augmentation);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new ArgumentException($"TileSlides: {input.SlidePath}: {e.Message}", e);
        }
        SlideTilesMappingFactory.Tile(
            input.SlidePath,
            string.IsNullOrEmpty(input.Regions) ? null : input.Regions,
            augmentation,
            input.State,
            output
        );
    }

    /// <inheritdoc/>
    public override Action<Input, SlideTilesMappingFactory.Output> GetMapping() => Map;
}

/// <summary>An empty text column beside the slide path, for the per-row setting a TileSlides does not take from its
/// input.</summary>
[CustomMappingFactoryAttribute(ContractName)]
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
internal sealed class SlideTilesNoSettingMappingFactory
    : CustomMappingFactory<SlideTilesNoSettingMappingFactory.Input, SlideTilesNoSettingMappingFactory.Output>
{
    /// <summary>The name model.zip files know this mapping by.</summary>
    public const string ContractName = "Amil.SlideTilesNoSetting.v1";
    internal const string Column = "__AmilSlideNoSetting";

    /// <summary>ML.NET plumbing: the mapping's input row.</summary>
    public sealed class Input
    {
        /// <summary>The slide file.</summary>
        [ColumnName(SlideTilesMappingFactory.PathColumn)]
        public string SlidePath { get; set; } = "";
    }

    /// <summary>ML.NET plumbing: the mapping's output row.</summary>
    public sealed class Output
    {
        /// <summary>Always "".</summary>
        [ColumnName(Column)]
        public string Nothing { get; set; } = "";
    }

    internal static void Map(Input input, Output output) => output.Nothing = "";

    /// <inheritdoc/>
    public override Action<Input, Output> GetMapping() => Map;
}

/// <summary>The tiling as a saved state vector: [tile size, magnification or NaN, µm/px or NaN, minimum tissue,
/// overlap, encoder, its SHA-256, stain method, its reference's value count and values, quality control 0/1] (texts as
/// <see cref="StateText"/>; version 1 has the first four, version 2 the first five, both encode with ResNet18; version
/// 3 has no stain: colours as scanned).</summary>
internal static class SlideTilesState
{
    private const int Version = 4;

    public static float[] Encode(TilingSettings t, string encoder, StainProfile? stain, bool qualityControl = false)
    {
        return StateBlob.Create(
            StateKind.SlideTiles,
            Version,
            [
                t.TileSize,
                (float)(t.Magnification ?? double.NaN),
                (float)(t.MicronsPerPixel ?? double.NaN),
                (float)t.MinimumTissue,
                (float)t.Overlap,
                .. EncoderProvenance.Encode(encoder),
                .. StainState.Encode(stain),
                qualityControl ? 1 : 0,
            ]
        );
    }

    public static (TilingSettings Tiling, string Encoder, string Sha256, StainProfile? Stain, bool Quality) Decode(
        float[] blob
    )
    {
        var p = StateBlob.Open(blob, StateKind.SlideTiles, Version, out int version);
        var tiling = new TilingSettings
        {
            TileSize = (int)p[0],
            Magnification = float.IsNaN(p[1]) ? null : Exact(p[1]),
            MicronsPerPixel = float.IsNaN(p[2]) ? null : Exact(p[2]),
            MinimumTissue = Exact(p[3]),
            Overlap = version >= 2 ? Exact(p[4]) : 0,
        };
        if (version < 3)
            return (tiling, PatchFeatureExtractor.ResNet18, "", null, false);
        int at = 5;
        var (encoder, sha256) = EncoderProvenance.Decode(p, ref at);
        if (version < 4)
            return (tiling, encoder, sha256, null, false);
        var stain = StainState.Decode(p, ref at, "tiling");
        if (at >= p.Length)
            throw new InvalidDataException("The model's saved tiling is damaged (it ends before its quality control).");
        return (tiling, encoder, sha256, stain, p[at] != 0);
    }

    // The cache keys on the settings' text: 0.5 must come back as 0.5, not 0.5000000xx from a float round trip.
    private static double Exact(float v) =>
        double.Parse(
            v.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            System.Globalization.CultureInfo.InvariantCulture
        );
}
