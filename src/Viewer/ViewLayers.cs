using System.Globalization;
using Amil.MLNet.Application;

namespace Amil.MLNet.Viewer;

/// <summary>A map layer: its id in URLs, its title, and how its colours are normalised (named on screen).</summary>
internal sealed record LayerInfo(string Id, string Title, string Normalization);

/// <summary>
/// The map layers of a view and their values. The default, <c>evidence</c>, is the evidence for the tumour classes —
/// each tumour class's own map for class-aware models, the model's map × p(class) otherwise (attention counted as
/// N·a, so 1 is a uniform share) — on one colour scale shared by every item, so an item the model calls tumour-free
/// stays cool. The model's raw map with per-item min–max, each class's map, and the map × p(class) are one click away,
/// labelled as what they are.
/// </summary>
internal sealed class ViewLayers
{
    public const string Evidence = "evidence",
        Map = "map",
        Mask = "mask",
        Tissue = "tissue",
        Quality = "quality",
        GradCam = "gradcam",
        GradCamEvidence = "gradcam-evidence";

    private readonly ViewSet _set;
    private readonly Dictionary<string, float> _sharedScale = [];
    private readonly Lru<(int Item, string Layer), float[]> _raw = new(64),
        _normalized = new(64);

    public ViewLayers(ViewSet set)
    {
        _set = set;
        string map = set.MapKind.Name();
        var layers = new List<LayerInfo>
        {
            new(
                Evidence,
                $"tumour evidence ({TumourEvidence.Describe(set.MapKind, set.TumourClasses)})",
                "shared by all items"
            ),
            new(Map, $"{map} (the model's map)", "per-item min–max"),
        };
        if (set.MapKind.HasClassMaps())
            layers.AddRange(set.Classes.Select(c => new LayerInfo("class:" + c, $"{map} of {c}", "per-item min–max")));
        else
            layers.AddRange(
                set.Classes.Select(c => new LayerInfo("weighted:" + c, $"{map} × p({c})", "shared by all items"))
            );
        if (set.Items.Any(i => i.GradCam is not null))
        {
            layers.Add(new LayerInfo(GradCam, "Grad-CAM of the CNN baseline", "per-item min–max"));
            layers.Add(
                new LayerInfo(
                    GradCamEvidence,
                    $"Grad-CAM × p({string.Join(" + ", set.TumourClasses)}) of the CNN baseline",
                    "shared by all items"
                )
            );
        }
        if (set.Items.Any(i => i.MaskPath is not null))
            layers.Add(new LayerInfo(Mask, "ground-truth tumour outline", "outline"));
        if (set.Items.Any(i => i.Kind == ModelInput.Slides))
        {
            layers.Add(new LayerInfo(Tissue, "tissue outline", "outline"));
            layers.Add(
                new LayerInfo(Quality, "tiles quality control flags (blur, pen, fold, glass; 224 px at 20×)", "outline")
            );
        }
        All = layers;
        foreach (var layer in layers.Where(l => l.Normalization == "shared by all items"))
            _sharedScale[layer.Id] = SharedScale(layer.Id);
    }

    public IReadOnlyList<LayerInfo> All { get; }

    public LayerInfo? Find(string id) => All.FirstOrDefault(l => l.Id == id);

    /// <summary>The top of a shared scale (the 99th percentile of the positive values of every item), or null for a
    /// per-item or outline layer.</summary>
    public float? ScaleTop(string layer) => _sharedScale.TryGetValue(layer, out var top) ? top : null;

    /// <summary>The values a layer shows for each of the item's patches, before normalisation (computed once per
    /// item and layer while recently used: every overlay tile of the item reads them).</summary>
    public float[] Raw(ViewItem item, string layer) => _raw.GetOrAdd((item.Id, layer), () => Compute(item, layer));

    private float[] Compute(ViewItem item, string layer)
    {
        var s = item.Scored;
        if (layer == Evidence)
            return TumourEvidence.Values(s, _set.Classes, _set.TumourClasses);
        if (layer == Map)
            return s.Map;
        if (layer is GradCam or GradCamEvidence)
        {
            if (item.GradCam is not { } g || g.Map.Length != s.Map.Length)
                return new float[s.Map.Length];
            return layer == GradCam ? g.Map : TumourEvidence.Values(g, _set.Classes, _set.TumourClasses);
        }
        if (layer.StartsWith("class:", StringComparison.Ordinal))
            return s.MapOf(IndexOf(layer[6..]));
        if (layer.StartsWith("weighted:", StringComparison.Ordinal))
        {
            return TumourEvidence.Values(s, _set.Classes, [_set.Classes[IndexOf(layer[9..])]]);
        }
        throw new ArgumentException($"No map layer '{layer}'.");
    }

    /// <summary>The layer's values in [0, 1] for colouring: shared layers over their run-wide top, per-item layers
    /// min–max over the item.</summary>
    public float[] Normalized(ViewItem item, string layer) =>
        _normalized.GetOrAdd((item.Id, layer), () => Normalize(Raw(item, layer), layer));

    private float[] Normalize(float[] raw, string layer)
    {
        if (ScaleTop(layer) is { } top)
            return TumourEvidence.OnScale(raw, top);
        float min = raw.Min(),
            max = raw.Max();
        return raw.Select(v => max > min ? (v - min) / (max - min) : 0f).ToArray();
    }

    /// <summary>The scale's description for the legend, e.g. "0 – 3.21, shared by all 60 items".</summary>
    public string Legend(string layer) =>
        ScaleTop(layer) is { } top
            ? string.Create(CultureInfo.InvariantCulture, $"0 – {top:G3}, shared by all {_set.Items.Count} items")
            : Find(layer)?.Normalization ?? "";

    private float SharedScale(string layer) => TumourEvidence.SharedTop(_set.Items.Select(i => Raw(i, layer)));

    private int IndexOf(string cls) =>
        _set.Classes.ToList().IndexOf(cls) is var k and >= 0
            ? k
            : throw new ArgumentException($"Class '{cls}' is not one of the model's classes.");
}
