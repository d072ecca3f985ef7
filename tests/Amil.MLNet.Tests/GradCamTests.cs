using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Transforms.Bagging;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Amil.MLNet.Tests;

public class GradCamTests
{
    [Fact]
    public void GradCamOfATinyHandBuiltCnnMatchesAHandComputation()
    {
        // Activations A (2 channels, 2 × 2), score = w · GAP(A) with w = (2, −1): dScore/dA_k = w_k / 4, so the channel
        // weights are α = (0.5, −0.25) and the map is ReLU(0.5·A_0 − 0.25·A_1).
        float[] a0 = [1, 2, 3, 4],
            a1 = [4, 4, 0, 8];
        using var activations = tensor(a0.Concat(a1).ToArray(), [1, 2, 2, 2]).requires_grad_(true);
        using var weights = tensor(new float[] { 2, -1 });
        using var score = (activations.mean([2, 3]).squeeze(0) * weights).sum();
        using var cam = GradCam.Compute(activations, score);
        float[] expected = [.. a0.Zip(a1, (x, y) => Math.Max(0, 0.5f * x - 0.25f * y))]; // [0, 0, 1.5, 0]
        Assert.Equal(expected, cam.data<float>().ToArray());
    }

    [Fact]
    public void PatchGridAveragesTheUpsampledMapOverEachPatch()
    {
        using var map = tensor(new float[] { 1, 1, 3, 3 }, [1, 4]); // 1 row, 4 columns
        using var grid = GradCam.ToPatchGrid(map, 4, 8, 4); // upsample to 4 × 8 px, then 4-px patches → 1 × 2
        var values = grid.data<float>().ToArray();
        Assert.Equal(2, values.Length);
        Assert.True(values[0] < values[1]);
        Assert.Equal(2f, (values[0] + values[1]) / 2, 4); // bilinear upsampling keeps the mean here
    }

    [Fact]
    public void BaselineCnnStitchesTheBagBackIntoTheImage()
    {
        var spec = new NetworkSpec(4, 1, 1, false, 2)
        {
            Architecture = NetworkArchitecture.CnnBaseline,
            Rows = 16,
            Cols = 16,
            InputScale = 1,
        };
        using var cnn = new BaselineCnn(spec);
        var layout = new BagLayout(3, 4, 4, 16, 16, 0, 0, 64, 64);
        // Patch n holds the value n everywhere; pixel (x, y) of the stitched image must hold the index of the patch
        // covering it.
        var pixels = new float[layout.Count * layout.PatchLength];
        for (int n = 0; n < layout.Count; n++)
            Array.Fill(pixels, n, n * layout.PatchLength, layout.PatchLength);
        using var bag = tensor(pixels, [layout.Count, 3, 4, 4]);
        using var image = cnn.Image(bag, layout);
        Assert.Equal(new long[] { 1, 3, 64, 64 }, image.shape);
        Assert.Equal(16 * 2 + 5, image[0, 1, 9, 22].item<float>()); // row 9 → grid row 2, column 22 → grid column 5

        var (probabilities, map) = cnn.Explain(bag, layout);
        Assert.Equal(2, probabilities.Length);
        Assert.Equal(256, map.Length);
        Assert.All(map, v => Assert.True(v >= 0));
    }
}
