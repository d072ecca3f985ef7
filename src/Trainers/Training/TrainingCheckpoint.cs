using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Transforms;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Training;

/// <summary>
/// Everything needed to continue training exactly where it stopped: current and best weights, Adam's moments,
/// libtorch's random state (dropout), the early-stopping counters, the history and, when a stop came mid-epoch, how
/// far that epoch got. Written atomically after every epoch and on a stop.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private const string Magic = "AMIL-CHECKPOINT";
    private const int Version = 3; // 2: our own Adam state (AdamOptimizer); 3: the unfinished epoch

    public required NetworkSpec Spec { get; init; }

    /// <summary>Seed, data size and options that must match for a resume to reproduce the uninterrupted run.</summary>
    public required string Fingerprint { get; init; }
    public required int Epoch { get; init; }
    public required float[] Weights { get; init; }
    public required float[]? BestWeights { get; init; }
    public required int BestEpoch { get; init; }
    public required double BestLoss { get; init; }
    public required int SinceBest { get; init; }
    public required IReadOnlyList<EpochReport> History { get; init; }
    public required byte[] OptimizerState { get; init; }
    public required byte[] RandomState { get; init; }

    /// <summary>The epoch a stop interrupted (the one after <see cref="Epoch"/>) and its training part's progress;
    /// null when the checkpoint was written at an epoch's end.</summary>
    public (int Epoch, TrainingLoop.EpochTally Done)? Unfinished { get; init; }

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(
            path,
            temp =>
            {
                using var writer = new BinaryWriter(File.Create(temp));
                writer.Write(Magic);
                writer.Write(Version);
                WriteFloats(writer, Spec.Encode());
                writer.Write(Fingerprint);
                writer.Write(Epoch);
                WriteFloats(writer, Weights);
                writer.Write(BestWeights is not null);
                if (BestWeights is not null)
                    WriteFloats(writer, BestWeights);
                writer.Write(BestEpoch);
                writer.Write(BestLoss);
                writer.Write(SinceBest);
                writer.Write(History.Count);
                foreach (var r in History)
                {
                    writer.Write(r.Epoch);
                    writer.Write(r.MaxEpochs);
                    writer.Write(r.TrainLoss);
                    writer.Write(r.TrainAccuracy);
                    writer.Write(r.ValidationLoss ?? double.NaN);
                    writer.Write(r.ValidationAccuracy ?? double.NaN);
                    writer.Write(r.Seconds);
                    writer.Write(r.IsBest);
                }
                WriteBytes(writer, OptimizerState);
                WriteBytes(writer, RandomState);
                writer.Write(Unfinished is not null);
                if (Unfinished is var (epoch, done))
                {
                    writer.Write(epoch);
                    writer.Write(done.LossSum);
                    writer.Write(done.Correct);
                    writer.Write(done.Count);
                }
            }
        );
    }

    public static TrainingCheckpoint Load(string path)
    {
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            if (reader.ReadString() != Magic)
                throw new InvalidDataException($"{path}: not an Amil.MLNet training checkpoint.");
            int version = reader.ReadInt32();
            if (version is < 2 or > Version)
                throw new InvalidDataException(
                    $"{path}: checkpoint format {version}; this version reads 2 to {Version}. Restart the training."
                );
            var spec = NetworkSpec.Decode(ReadFloats(reader));
            var fingerprint = reader.ReadString();
            int epoch = reader.ReadInt32();
            var weights = ReadFloats(reader);
            var best = reader.ReadBoolean() ? ReadFloats(reader) : null;
            int bestEpoch = reader.ReadInt32();
            double bestLoss = reader.ReadDouble();
            int sinceBest = reader.ReadInt32();
            var history = new List<EpochReport>();
            for (int i = reader.ReadInt32(); i > 0; i--)
            {
                int e = reader.ReadInt32(),
                    max = reader.ReadInt32();
                double tl = reader.ReadDouble(),
                    ta = reader.ReadDouble(),
                    vl = reader.ReadDouble(),
                    va = reader.ReadDouble(),
                    s = reader.ReadDouble();
                bool isBest = reader.ReadBoolean();
                history.Add(
                    new EpochReport(
                        e,
                        max,
                        tl,
                        ta,
                        double.IsNaN(vl) ? null : vl,
                        double.IsNaN(va) ? null : va,
                        s,
                        isBest
                    )
                );
            }
            return new TrainingCheckpoint
            {
                Spec = spec,
                Fingerprint = fingerprint,
                Epoch = epoch,
                Weights = weights,
                BestWeights = best,
                BestEpoch = bestEpoch,
                BestLoss = bestLoss,
                SinceBest = sinceBest,
                History = history,
                OptimizerState = ReadBytes(reader),
                RandomState = ReadBytes(reader),
                Unfinished = version >= 3 && reader.ReadBoolean() ? ReadUnfinished(reader) : null,
            };
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException(
                $"{path}: the checkpoint is truncated; restart the training without --resume."
            );
        }
    }

    private static (int, TrainingLoop.EpochTally) ReadUnfinished(BinaryReader reader)
    {
        int epoch = reader.ReadInt32();
        double lossSum = reader.ReadDouble();
        int correct = reader.ReadInt32(),
            count = reader.ReadInt32();
        return (epoch, new TrainingLoop.EpochTally(lossSum, correct, count));
    }

    /// <summary>The dropout generator's state, so a resumed training draws the masks it would have drawn.</summary>
    public static byte[] SaveRandomState(TorchSharp.torch.Generator generator)
    {
        using var state = generator.get_state();
        return state.data<byte>().ToArray();
    }

    public static void LoadRandomState(TorchSharp.torch.Generator generator, byte[] state)
    {
        using var tensor = TorchSharp.torch.tensor(state, dtype: ScalarType.Byte);
        generator.set_state(tensor);
    }

    private static void WriteFloats(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] ReadFloats(BinaryReader reader)
    {
        var values = new float[reader.ReadInt32()];
        var bytes = reader.ReadBytes(values.Length * sizeof(float));
        if (bytes.Length != values.Length * sizeof(float))
            throw new EndOfStreamException();
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    private static void WriteBytes(BinaryWriter writer, byte[] bytes)
    {
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static byte[] ReadBytes(BinaryReader reader)
    {
        int n = reader.ReadInt32();
        var bytes = reader.ReadBytes(n);
        return bytes.Length == n ? bytes : throw new EndOfStreamException();
    }
}
