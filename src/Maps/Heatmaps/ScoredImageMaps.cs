using Amil.MLNet.Trainers;

namespace Amil.MLNet.Maps.Heatmaps;

/// <summary>A scored image's map as a <see cref="Heatmaps.PatchMap"/>, ready to normalise, render or score.</summary>
public static class ScoredImageMaps
{
    /// <summary>The map on its patch grid.</summary>
    public static PatchMap PatchMap(this ScoredImage scored) => new(scored.Map, scored.Layout);
}
