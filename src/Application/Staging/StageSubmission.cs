using System.Text;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Application.Staging;

/// <summary>
/// CAMELYON17's submission file from a node model's predictions: <c>stages.csv</c> in the layout of the challenge's
/// <c>stage_labels.csv</c> (<c>patient,stage</c>; a row per patient <c>patient_NNN.zip,pN…</c>, staged from its
/// predicted nodes by <see cref="NodeStaging.Stage"/>, followed by its nodes <c>patient_NNN_node_N.tif,label</c>).
/// Written by `predict` when the model's classes are the node labels and every slide is named
/// <c>patient_NNN_node_N</c>.
/// </summary>
public static class StageSubmission
{
    public const string FileName = "stages.csv";

    /// <summary>Writes DIR/stages.csv when the predictions are of CAMELYON17 nodes; returns its path, or null when
    /// they are not.</summary>
    public static string? Write(
        string outDirectory,
        IReadOnlyList<string> classes,
        IReadOnlyList<(string Path, string Predicted)> nodes,
        Action<string> log
    )
    {
        var ids = nodes.Select(n => SlideLayout.SlideId(n.Path)).ToList();
        if (
            nodes.Count == 0
            || !NodeStaging.IsNodeClassification(classes)
            || ids.Any(i => Camelyon17Layout.PatientOf(i) is null)
        )
            return null;
        var table = new StringBuilder("patient,stage\n");
        var patients = nodes
            .Select((n, i) => (Id: ids[i], Label: n.Predicted.ToLowerInvariant()))
            .GroupBy(n => Camelyon17Layout.PatientOf(n.Id)!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        foreach (var patient in patients)
        {
            table
                .Append(patient.Key)
                .Append(".zip,")
                .Append(NodeStaging.Stage(patient.Select(n => n.Label)))
                .Append('\n');
            foreach (var node in patient.OrderBy(n => n.Id, StringComparer.Ordinal))
                table.Append(node.Id).Append(".tif,").Append(node.Label).Append('\n');
        }
        var path = Path.Combine(outDirectory, FileName);
        AtomicFile.WriteText(path, table.ToString());
        int incomplete = patients.Count(p => p.Count() < 5);
        log(
            $"Wrote {path}: the pN stages of {patients.Count} patients from their predicted nodes (CAMELYON17's "
                + "submission format)"
                + (incomplete > 0 ? $"; {incomplete} have fewer than 5 nodes, so their stage may read low." : ".")
        );
        return path;
    }
}
