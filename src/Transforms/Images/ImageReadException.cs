namespace Amil.MLNet.Transforms.Images;

/// <summary>An image file that cannot be used, with the file named and a fix suggested in the message.</summary>
public sealed class ImageReadException(string path, string message) : Exception($"{path}: {message}")
{
    /// <summary>The image file.</summary>
    public string Path { get; } = path;
}
