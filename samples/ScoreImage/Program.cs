// Scores one image with a saved Amil.MLNet model (any kind: Attention-MIL on patches or features, or the CNN baseline)
// through the library's scoring facade, and prints JSON: the class probabilities and the per-patch map.
using System.Text.Json;
using Amil.MLNet.Trainers;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: ScoreImage <model.zip> <image>");
    return 1;
}

AmilModel model;
ScoredImage scored;
try
{
    model = AmilModel.Load(args[0]); // checks the file, registers the components, loads with ML.NET
    scored = model.Score([Path.GetFullPath(args[1])]).Single();
}
catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

var result = new
{
    path = scored.Path,
    predicted = model.ClassNames[scored.PredictedIndex],
    probabilities = model
        .ClassNames.Select((name, i) => (name, p: scored.Probabilities[i]))
        .ToDictionary(x => x.name, x => x.p),
    map_kind = scored.MapKind.Name(),
    map = scored.Map,
    patches = Enumerable
        .Range(0, scored.Map.Length)
        .Select(i => new
        {
            x = scored.Coordinates[2 * i],
            y = scored.Coordinates[2 * i + 1],
            size = scored.PatchSize,
        }),
};
Console.WriteLine(JsonSerializer.Serialize(result));
return 0;
