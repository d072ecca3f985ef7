using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>How <c>ml.Transforms.TileSlides</c> turns a whole slide into a bag: tissue found on a low-resolution
/// level, a grid of tiles over it at one scale, and each tile's frozen encoder features (ResNet18's 512 by default).
/// Defaults: CLAM's 224 px tiles at 20× (0.5 µm/px), kept when at least half tissue.</summary>
public sealed class SlideTilesOptions
{
    /// <summary>Slide file paths (text): pyramidal TIFF/SVS, or any format OpenSlide reads. Default
    /// "SlidePath".</summary>
    public string InputColumnName { get; set; } = "SlidePath";

    /// <summary>Output: N × D features per slide (tile-major; D = the encoder's feature size), with
    /// <c>{name}Layout</c> (the bag's grid: the tiles in one row) and <c>{name}Coordinates</c> (each tile's level-0
    /// corner, x then y). Default "Features".</summary>
    public string OutputColumnName { get; set; } = "Features";

    /// <summary>The frozen tile encoder: "resnet18" (built in, the default), an encoder manifest's path, an ONNX file's
    /// path with its manifest beside it, or a name registered in <c>$AMIL_ENCODERS</c> (see
    /// <see cref="Amil.MLNet.Transforms.Encoders.PatchEncoders"/>). Tiles are resized to its input size; set
    /// <see cref="TileSize"/> and <see cref="MicronsPerPixel"/> to what it was trained on.</summary>
    public string Encoder { get; set; } = Amil.MLNet.Transforms.Encoders.PatchEncoders.ResNet18;

    /// <summary>Tile each slide only inside its annotated regions: a text column holding each row's annotation file
    /// (ASAP or ImageScope XML, QuPath GeoJSON: every region of any class, exclusions cut out) or mask image (its
    /// white), "" for all of the slide's tissue; a tissue tile is kept when its centre lies inside. Part of the feature
    /// cache's key (with the file's content). A model saved with it needs the column when it scores. Default null:
    /// all the tissue of every slide.</summary>
    public string? RegionsColumnName { get; set; }

    /// <summary>Recolour each slide's tiles as its row says: a text column of colour augmentations ("hed 0.05 #1":
    /// method, σ and copy, see <see cref="Amil.MLNet.Transforms.Stain.ColourAugmentation"/>), "" for colours as they
    /// are. For training: rows repeating a slide with other copies give the head recoloured bags of it, each encoded
    /// once and cached. A model saved with it needs the column when it scores. Default null: no recolouring.</summary>
    public string? AugmentationColumnName { get; set; }

    /// <summary>A copy of these options, to change one setting without touching an estimator built from
    /// these.</summary>
    public SlideTilesOptions Clone() => (SlideTilesOptions)MemberwiseClone();

    /// <summary>Tile side in pixels at the tiling scale. Default 224 (ResNet18's input).</summary>
    public int TileSize { get; set; } = 224;

    /// <summary>Tile at this objective power, used when <see cref="MicronsPerPixel"/> is not set; null tiles at
    /// level 0's own scale. Default 20.</summary>
    public double? Magnification { get; set; } = 20;

    /// <summary>Tile at this many µm per pixel (e.g. 0.5 ≈ 20×); overrides <see cref="Magnification"/>. Default
    /// none.</summary>
    public double? MicronsPerPixel { get; set; }

    /// <summary>Keep a tile when at least this share of it is tissue (0–1]. Default 0.5.</summary>
    public double MinimumTissue { get; set; } = 0.5;

    /// <summary>Share of a tile its neighbours overlap, in [0, 0.9) (0.5: a step of half a tile, four times the
    /// tiles, so small lesions fall whole inside some tile). Default 0.</summary>
    public double Overlap { get; set; }

    /// <summary>Normalise each slide's tiles to this reference stain before encoding (Reinhard or Macenko; the slide's
    /// own profile is measured on its tissue tiles, see <see cref="SlideStains"/>). Saved with the model, so scoring
    /// normalises alike; part of the feature cache's key. Default none: colours as scanned.</summary>
    public Amil.MLNet.Transforms.Stain.StainProfile? Stain { get; set; }

    /// <summary>Leave out the tiles quality control flags (blur, pen ink, folds, glass; see
    /// <see cref="SlideQuality"/>) before encoding. Saved with the model; part of the feature cache's key. Default
    /// false: every tissue tile.</summary>
    public bool QualityControl { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(InputColumnName) || string.IsNullOrWhiteSpace(OutputColumnName))
            throw new ArgumentException("TileSlides: input and output column names must be set.");
        if (RegionsColumnName is not null && string.IsNullOrWhiteSpace(RegionsColumnName))
            throw new ArgumentException("TileSlides: RegionsColumnName must be a column name or null.");
        if (AugmentationColumnName is not null && string.IsNullOrWhiteSpace(AugmentationColumnName))
            throw new ArgumentException("TileSlides: AugmentationColumnName must be a column name or null.");
        if (string.IsNullOrWhiteSpace(Encoder))
            throw new ArgumentException("TileSlides: the encoder must be set (\"resnet18\" or an encoder manifest).");
        if (TileSize < 16 || TileSize > 4096)
            throw new ArgumentException($"TileSlides: TileSize must be 16 to 4096 pixels (got {TileSize}).");
        if (Magnification is { } m && !(m > 0 && double.IsFinite(m)))
            throw new ArgumentException($"TileSlides: Magnification must be positive (got {m}).");
        if (MicronsPerPixel is { } mpp && !(mpp > 0 && double.IsFinite(mpp)))
            throw new ArgumentException($"TileSlides: MicronsPerPixel must be positive (got {mpp}).");
        if (!(MinimumTissue > 0 && MinimumTissue <= 1))
            throw new ArgumentException($"TileSlides: MinimumTissue must be in (0, 1] (got {MinimumTissue}).");
        if (!(Overlap >= 0 && Overlap < 0.9))
            throw new ArgumentException($"TileSlides: Overlap must be in [0, 0.9) (got {Overlap}).");
    }

    /// <summary>The tiling these options ask for.</summary>
    public TilingSettings Tiling =>
        new()
        {
            TileSize = TileSize,
            Magnification = Magnification,
            MicronsPerPixel = MicronsPerPixel,
            MinimumTissue = MinimumTissue,
            Overlap = Overlap,
        };
}
