namespace Amil.MLNet.Transforms.Encoders;

/// <summary>An encoder output → one vector per patch, as the manifest's "pooling" says.</summary>
internal static class TokenPooling
{
    /// <summary>Writes each of <paramref name="n"/> patches' features into <paramref name="features"/>
    /// (n × the manifest's feature size).</summary>
    /// <param name="dimensions">The output's shape.</param>
    public static void Pool(
        ReadOnlySpan<float> output,
        ReadOnlySpan<int> dimensions,
        EncoderManifest manifest,
        int n,
        Span<float> features
    )
    {
        int d = manifest.FeatureSize;
        if (manifest.Pooling == "none")
        {
            if (output.Length != n * d)
                throw Mismatch(manifest, dimensions, $"{n} × {d} values");
            output.CopyTo(features);
            return;
        }
        int width = manifest.Pooling == "cls_mean" ? d / 2 : d;
        if (dimensions.Length != 3 || dimensions[0] != n || dimensions[2] != width)
            throw Mismatch(manifest, dimensions, $"tokens {n} × T × {width}");
        int tokens = dimensions[1];
        if (manifest.Pooling != "cls" && tokens <= manifest.PrefixTokens)
            throw Mismatch(manifest, dimensions, $"more than {manifest.PrefixTokens} prefix token(s)");
        for (int k = 0; k < n; k++)
        {
            var patch = output.Slice(k * tokens * width, tokens * width);
            var target = features.Slice(k * d, d);
            if (manifest.Pooling is "cls" or "cls_mean")
                patch[..width].CopyTo(target);
            if (manifest.Pooling is "mean" or "cls_mean")
                Mean(patch, manifest.PrefixTokens, tokens, width, target[(d - width)..]);
        }
    }

    private static void Mean(ReadOnlySpan<float> patch, int first, int tokens, int width, Span<float> target)
    {
        var sum = new double[width];
        for (int t = first; t < tokens; t++)
        for (int j = 0; j < width; j++)
            sum[j] += patch[t * width + j];
        for (int j = 0; j < width; j++)
            target[j] = (float)(sum[j] / (tokens - first));
    }

    private static InvalidDataException Mismatch(EncoderManifest m, ReadOnlySpan<int> dimensions, string expected) =>
        new(
            $"Encoder '{m.Name}': the output is [{string.Join(", ", dimensions.ToArray())}], but pooling "
                + $"\"{m.Pooling}\" with feature_size {m.FeatureSize} needs {expected}; correct \"pooling\", "
                + "\"feature_size\" or \"output\" in the manifest (`amil encoders check` shows the outputs)."
        );
}
