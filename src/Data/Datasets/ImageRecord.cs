namespace Amil.MLNet.Data.Datasets;

/// <summary>One image of a dataset: where it is, its class, and what the layout knows about it.</summary>
/// <param name="Split">"train", "val" or "test" when the layout predefines the split; otherwise null.</param>
public sealed record ImageRecord(string Path, string Label, string? Patient = null, string? Magnification = null, string? Split = null);
