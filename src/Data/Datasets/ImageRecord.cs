namespace Amil.MLNet.Data.Datasets;

/// <summary>One image of a dataset: where it is, its class, and what the layout knows about it.</summary>
/// <param name="Split">"train", "val" or "test" when the layout predefines the split; otherwise null.</param>
/// <param name="MaskPath">Tumour mask (PNG, tumour &gt; 127) when the dataset has one under masks/ mirroring the image
/// path; otherwise null.</param>
public sealed record ImageRecord(
    string Path,
    string Label,
    string? Patient = null,
    string? Magnification = null,
    string? Split = null,
    string? MaskPath = null
);
