namespace Amil.MLNet.Transforms.Stain;

/// <summary>How tiles' colours are brought to a reference stain before encoding.</summary>
public enum StainMethod
{
    /// <summary>Colours as scanned.</summary>
    None = 0,

    /// <summary>Reinhard et al. (2001): each channel of the lαβ colour space shifted and scaled to the reference's
    /// tissue mean and standard deviation.</summary>
    Reinhard = 1,

    /// <summary>Macenko et al. (2009): haematoxylin and eosin vectors estimated in optical density, each stain's
    /// concentration rescaled to the reference's 99th percentile and recomposed with the reference's vectors.</summary>
    Macenko = 2,
}
