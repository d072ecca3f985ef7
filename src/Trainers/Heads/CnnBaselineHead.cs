using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers;

/// <summary>The whole-image CNN baseline: the patches stitched back into the image, five conv blocks, no pooling of
/// instances; its map is Grad-CAM for the predicted class.</summary>
internal sealed class CnnBaselineHead : Head
{
    public override string Name => "cnn";

    public override string Summary => "The whole-image CNN baseline (5 conv blocks), read with Grad-CAM (images only).";

    public override bool Pools => false;

    public override MapKind Map => MapKind.GradCam;

    public override bool TrainsOnSlides => false;

    internal override int SavedId => 0;

    internal override BagNetwork Create(NetworkSpec spec) => new BaselineCnn(spec);

    /// <summary>Any CNN baseline spec without a MIL head (its gate flag means nothing to it).</summary>
    internal override bool Saved(NetworkSpec spec) =>
        spec.Architecture == NetworkArchitecture.CnnBaseline && spec.Head == SavedId;
}
