using Amil.MLNet.Transforms.Bagging;
using Microsoft.ML.Data;

namespace Amil.MLNet.Trainers.Training;

/// <summary>One training example: a bag and its class index (key value − 1).</summary>
internal sealed record LabelledBag(DataViewRowId RowId, float[] Pixels, BagLayout Layout, int ClassIndex);

/// <summary>A row's identity, label and group, read without decoding its image.</summary>
internal readonly record struct RowInfo(DataViewRowId RowId, int ClassIndex, string? Group);
