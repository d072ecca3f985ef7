namespace Amil.MLNet.Application;

/// <summary>How class names compare when datasets and models spell them differently.</summary>
internal static class ClassNames
{
    /// <summary>The name without case, spaces or punctuation ("In-situ" and "in_situ" are "insitu"): what both the
    /// class mapping of external validation and the choice of tumour classes compare.</summary>
    public static string Plain(string name) => new([.. name.ToLowerInvariant().Where(char.IsLetterOrDigit)]);
}
