namespace Amil.MLNet.Transforms.Features;

/// <summary>Square single-channel bilinear resampling (pixel centres aligned, as image resizers do).</summary>
internal static class PatchResampler
{
    public static void Bilinear(ReadOnlySpan<float> source, int sourceSize, Span<float> target, int targetSize)
    {
        if (sourceSize == targetSize)
        {
            source.CopyTo(target);
            return;
        }
        float ratio = (float)sourceSize / targetSize;
        for (int y = 0; y < targetSize; y++)
        {
            float sy = Math.Clamp((y + 0.5f) * ratio - 0.5f, 0, sourceSize - 1);
            int y0 = (int)sy,
                y1 = Math.Min(y0 + 1, sourceSize - 1);
            float fy = sy - y0;
            for (int x = 0; x < targetSize; x++)
            {
                float sx = Math.Clamp((x + 0.5f) * ratio - 0.5f, 0, sourceSize - 1);
                int x0 = (int)sx,
                    x1 = Math.Min(x0 + 1, sourceSize - 1);
                float fx = sx - x0;
                float top = source[y0 * sourceSize + x0] * (1 - fx) + source[y0 * sourceSize + x1] * fx;
                float bottom = source[y1 * sourceSize + x0] * (1 - fx) + source[y1 * sourceSize + x1] * fx;
                target[y * targetSize + x] = top * (1 - fy) + bottom * fy;
            }
        }
    }
}
