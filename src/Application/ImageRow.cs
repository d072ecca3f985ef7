namespace Amil.MLNet.Application;

/// <summary>The row type the runner feeds ML.NET: an image path, its class and (if known) patient.</summary>
public sealed class ImageRow
{
    public string ImagePath { get; set; } = "";
    public string Label { get; set; } = "";
    public string Patient { get; set; } = "";
}
