// Scores one image with a saved Amil.MLNet model using nothing but ML.NET's own API
// plus one registration call. Prints JSON: class probabilities and per-patch attention.
using System.Text.Json;
using Amil.MLNet.Trainers;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: ScoreImage <model.zip> <image.png>");
    return 1;
}

var ml = new MLContext();
ml.RegisterAmilComponents(); // lets ml.Model.Load rebuild our stages
ITransformer model = ml.Model.Load(args[0], out _);

var input = ml.Data.LoadFromEnumerable(new[] { new ImageInput { ImagePath = Path.GetFullPath(args[1]) } });
var output = model.Transform(input);

VBuffer<ReadOnlyMemory<char>> classNames = default;
output.Schema["PredictedLabel"].GetKeyValues(ref classNames);
var row = ml.Data.CreateEnumerable<ScoredImage>(output, reuseRowObject: false).Single();

var result = new
{
    path = row.ImagePath,
    predicted = classNames.GetValues()[(int)row.PredictedLabel - 1].ToString(),
    probabilities = classNames
        .DenseValues()
        .Select((name, i) => (name.ToString(), row.Score[i]))
        .ToDictionary(p => p.Item1, p => p.Item2),
    attention = row.Attention,
};
Console.WriteLine(JsonSerializer.Serialize(result));
return 0;

internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
}

internal sealed class ScoredImage
{
    public string ImagePath { get; set; } = "";
    public float[] Score { get; set; } = [];
    public uint PredictedLabel { get; set; }
    public float[] Attention { get; set; } = [];
}
