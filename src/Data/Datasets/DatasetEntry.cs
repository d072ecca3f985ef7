using System.Text.Json.Serialization;

namespace Amil.MLNet.Data.Datasets;

/// <summary>One named dataset in datasets.json.</summary>
public sealed class DatasetEntry
{
    [JsonIgnore]
    public string Name { get; set; } = "";

    /// <summary>breakhis | breakhis-kaggle | amil-data | image-folder | bach | synthetic | wsi | camelyon16 |
    /// camelyon17 | bracs | tcga | bach-wsi.</summary>
    [JsonPropertyName("layout")]
    public string Layout { get; set; } = "";

    /// <summary>Dataset folder; relative paths resolve against the datasets.json folder; ~ and $VARS expand.</summary>
    [JsonPropertyName("root")]
    public string Root { get; set; } = "";

    [JsonPropertyName("description")]
    public string? Description { get; set; }

    /// <summary>BreakHis: binary (benign/malignant, default) or subtype (8 classes). BRACS: subtype (7 classes,
    /// default) or group (benign, atypical, malignant).</summary>
    [JsonPropertyName("task")]
    public string? Task { get; set; }

    /// <summary>BreakHis magnification filter: 40X, 100X, 200X, 400X or all (default all).</summary>
    [JsonPropertyName("magnification")]
    public string? Magnification { get; set; }

    /// <summary>TCGA: the labels table, relative to the root or absolute. Default labels.csv.</summary>
    [JsonPropertyName("labels")]
    public string? Labels { get; set; }

    /// <summary>TCGA: the labels table's column holding the class. Default label.</summary>
    [JsonPropertyName("label_column")]
    public string? LabelColumn { get; set; }

    [JsonPropertyName("split")]
    public SplitSettings Split { get; set; } = new();

    [JsonPropertyName("patches")]
    public PatchSettings Patches { get; set; } = new();

    /// <summary>For layout "synthetic": what to generate into root on first use.</summary>
    [JsonPropertyName("synthetic")]
    public SyntheticSettings? Synthetic { get; set; }
}

public sealed class SplitSettings
{
    /// <summary>Share of images (whole patients when known) held out for testing. Default 0.25.</summary>
    [JsonPropertyName("test_fraction")]
    public double TestFraction { get; set; } = 0.25;

    /// <summary>Share of the training part held out for picking the best epoch. Default 0.2.</summary>
    [JsonPropertyName("validation_fraction")]
    public double ValidationFraction { get; set; } = 0.2;

    [JsonPropertyName("seed")]
    public int Seed { get; set; } = 1;
}

public sealed class PatchSettings
{
    /// <summary>Centre crop "HxW" or "none". Default "448x700".</summary>
    [JsonPropertyName("crop")]
    public string Crop { get; set; } = "448x700";

    /// <summary>Resize every image to "HxW" before cropping, or "none" (default). For BACH's 2048×1536 photos, e.g.
    /// "460x614".</summary>
    [JsonPropertyName("resize")]
    public string Resize { get; set; } = "none";

    [JsonPropertyName("size")]
    public int Size { get; set; } = 28;

    [JsonPropertyName("stride")]
    public int Stride { get; set; } = 28;
}

public sealed class SyntheticSettings
{
    /// <summary>breakhis (binary, BreakHis layout, PNG) or bach (4 classes, BACH layout, TIFF).</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "breakhis";

    [JsonPropertyName("count")]
    public int Count { get; set; } = 240;

    [JsonPropertyName("seed")]
    public int Seed { get; set; } = 1;
}
