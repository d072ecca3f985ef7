using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Transforms.Bagging;

/// <summary>Cuts an image into a grid of square patches: optional resize, centre crop (or pad), then a strided
/// grid.</summary>
public static class PatchCutter
{
    /// <summary>The image with its colours brought to <paramref name="reference"/>, measured on its own stained
    /// pixels.</summary>
    private static RgbImage Normalised(RgbImage image, Stain.StainProfile reference, string source)
    {
        try
        {
            var own = Stain.StainProfile.Measure(reference.Method, image);
            return Stain.StainNormalizer.Create(own, reference).Apply(image);
        }
        catch (InvalidDataException e)
        {
            throw new ImageReadException(source, $"its stain cannot be measured: {e.Message}");
        }
    }

    /// <summary>Cuts <paramref name="image"/> into the bag the patch-bagging transform makes of it;
    /// <paramref name="source"/> names the image in messages.</summary>
    public static PatchBag Cut(RgbImage image, PatchBaggingOptions options, string source = "image")
    {
        if (options.Stain is { } stain)
            image = Normalised(image, stain, source);
        if (
            options.ResizeWidth is int rw
            && options.ResizeHeight is int rh
            && (rw != image.Width || rh != image.Height)
        )
            image = ImageResizer.Resize(image, rw, rh);

        if (SizeProblem(image.Width, image.Height, options) is string problem)
            throw new ImageReadException(source, problem);
        var layout = Layout(image.Width, image.Height, options);
        if (layout.RegionWidth > image.Width || layout.RegionHeight > image.Height)
            image = ImageFrame.PadToAtLeast(image, layout.RegionWidth, layout.RegionHeight);
        int p = options.PatchSize;

        var pixels = new float[layout.Count * layout.PatchLength];
        byte[] src = image.Pixels;
        float scale = options.PixelScale,
            offset = options.PixelOffset;
        int plane = p * p;
        for (int n = 0; n < layout.Count; n++)
        {
            var (x0, y0) = layout.Origin(n);
            int patchBase = n * layout.PatchLength;
            for (int y = 0; y < p; y++)
            {
                int row = ((y0 + y) * image.Width + x0) * 3;
                for (int x = 0; x < p; x++)
                {
                    int s = row + x * 3,
                        d = patchBase + y * p + x;
                    pixels[d] = src[s] * scale + offset;
                    pixels[d + plane] = src[s + 1] * scale + offset;
                    pixels[d + 2 * plane] = src[s + 2] * scale + offset;
                }
            }
        }
        return new PatchBag(
            pixels,
            layout,
            new ImageFrame(options.ResizeWidth ?? 0, options.ResizeHeight ?? 0, image.Width, image.Height)
        );
    }

    /// <summary>The bag an image of this size (before any resize) gives, without decoding it: grid and analysed region.
    /// Only meaningful when <see cref="SizeProblem"/> is null.</summary>
    public static BagLayout Layout(int width, int height, PatchBaggingOptions options)
    {
        if (options.ResizeWidth is int rw && options.ResizeHeight is int rh)
            (width, height) = (rw, rh);
        int regionW = options.CropWidth ?? width,
            regionH = options.CropHeight ?? height;
        int paddedW = Math.Max(width, regionW),
            paddedH = Math.Max(height, regionH);
        int p = options.PatchSize,
            stride = options.Stride;
        return new BagLayout(
            3,
            p,
            stride,
            (regionH - p) / stride + 1,
            (regionW - p) / stride + 1,
            (paddedW - regionW) / 2,
            (paddedH - regionH) / 2,
            regionW,
            regionH
        );
    }

    /// <summary>Why an image of this size (before any resize) cannot be cut with these options; null when it can.
    /// Cheap enough to screen a whole dataset from image headers before training starts.</summary>
    public static string? SizeProblem(int width, int height, PatchBaggingOptions options)
    {
        if (options.ResizeWidth is int rw && options.ResizeHeight is int rh)
            (width, height) = (rw, rh);
        int regionW = options.CropWidth ?? width,
            regionH = options.CropHeight ?? height;
        if ((regionW > width || regionH > height) && options.SmallImages == SmallImagePolicy.Error)
            return $"image is {height}x{width} (HxW) but the crop is {regionH}x{regionW} (HxW); "
                + "use a smaller crop (--crop HxW or --crop none), resize, or pad small images (--pad-small-images "
                + "/ SmallImages = Pad).";
        if (regionW < options.PatchSize || regionH < options.PatchSize)
            return $"image region {regionW}x{regionH} is smaller than one {options.PatchSize}px patch.";
        return null;
    }
}
