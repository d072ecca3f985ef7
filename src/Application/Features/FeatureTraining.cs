using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Microsoft.ML;

namespace Amil.MLNet.Application.Features;

/// <summary>metrics.json's feature_cache block.</summary>
public sealed record FeatureCacheReport(string Folder, int Hits, int Computed, double PatchesPerSecond);

/// <summary>
/// Training on frozen features (ResNet18 or an encoder manifest): fill the cache once, then train the attention head on
/// cached features held in memory (N × D floats per image: ~12 KB for ResNet18's 512 and the default 6 patches), while
/// the saved model keeps the full image → bag → encoder → attention pipeline, so scoring needs no cache.
/// </summary>
internal sealed class FeatureTraining(
    MLContext ml,
    ITransformer labelKeys,
    PatchBaggingOptions bagging,
    string? folder,
    string encoder,
    Action<string> log
)
{
    public const string FeaturesColumn = "Features";

    private readonly PatchFeatureOptions _options = new()
    {
        InputColumnName = "Bag",
        OutputColumnName = FeaturesColumn,
        Extractor = encoder,
    };
    private readonly FeatureCache _cache = new(
        folder ?? Path.Combine(".cache", "features"),
        bagging,
        new PatchFeatureOptions { Extractor = encoder }
    );
    private readonly Dictionary<string, FeatureBag> _loaded = new(StringComparer.Ordinal);

    public FeatureCacheReport Fill(IReadOnlyList<ImageRecord> records, CancellationToken cancel)
    {
        log($"{EncoderRecord.Name(encoder)} features for {records.Count} images (cache {_cache.Folder})…");
        int lastPercent = -10;
        var summary = FeatureExtraction.Fill(
            records.Select(r => r.Path).ToList(),
            FeatureExtraction.Images(_cache),
            (0, 1),
            (done, total) =>
            {
                int percent = done * 100 / total;
                if (percent >= lastPercent + 10 || done == total)
                {
                    lastPercent = percent;
                    log($"  features {done}/{total}");
                }
            },
            cancel
        );
        foreach (var r in records)
            _loaded[r.Path] = _cache.Get(r.Path, out _);
        log(
            $"Features: {summary.Hits} from cache, {summary.Computed} computed"
                + (summary.Computed > 0 ? $" ({summary.PatchesPerSecond:F0} patches/s)." : ".")
        );
        return new FeatureCacheReport(
            _cache.Folder,
            summary.Hits,
            summary.Computed,
            Math.Round(summary.PatchesPerSecond, 1)
        );
    }

    public IDataView Rows(IEnumerable<ImageRecord> part) =>
        labelKeys.Transform(
            ml.Data.LoadFromEnumerable(
                part.Select(r => new FeatureRow
                    {
                        ImagePath = r.Path,
                        Label = r.Label,
                        Patient = r.Patient ?? "",
                        Features = _loaded[r.Path].Features,
                        FeaturesLayout = _loaded[r.Path].Layout.Encode(),
                    })
                    .ToList()
            )
        );

    /// <summary>The saved model's feature stage (the encoder on ONNX Runtime), fitted on the bagged schema.</summary>
    public ITransformer Extractor(IDataView bagged) => ml.Transforms.ExtractPatchFeatures(_options).Fit(bagged);

    private sealed class FeatureRow
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
        public string Patient { get; set; } = "";
        public float[] Features { get; set; } = [];
        public int[] FeaturesLayout { get; set; } = [];
    }
}
