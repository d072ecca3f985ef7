using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>Grad-CAM (Selvaraju et al. 2017): channel weights = spatial mean of d(score)/d(activations); map = ReLU(Σ
/// weight × activation).</summary>
internal static class GradCam
{
    /// <param name="activations">1 × K × h × w, part of the graph that produced <paramref name="classScore"/>.</param>
    /// <param name="classScore">The scalar logit of the class to explain.</param>
    /// <returns>h × w map, detached.</returns>
    public static Tensor Compute(Tensor activations, Tensor classScore)
    {
        var gradients = autograd.grad([classScore], [activations])[0];
        using var weights = gradients.mean([2, 3], keepdim: true);
        using var weighted = (weights * activations).sum(1);
        return F.relu(weighted).squeeze(0).detach();
    }

    /// <summary>Upsamples an h × w map bilinearly to height × width pixels, then averages it over each patch × patch
    /// tile (grid row-major).</summary>
    public static Tensor ToPatchGrid(Tensor map, int height, int width, int patch)
    {
        using var upsampled = F.interpolate(
            map.unsqueeze(0).unsqueeze(0),
            size: [height, width],
            mode: InterpolationMode.Bilinear,
            align_corners: false
        );
        using var pooled = F.avg_pool2d(upsampled, patch);
        return pooled.flatten();
    }
}
