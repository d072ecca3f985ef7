namespace Amil.MLNet.Application;

/// <summary>Which classes are "tumour" for the default map: every class whose name does not say benign, normal,
/// negative, healthy or a non-malignant BRACS subtype; when names do not tell (none or all match), every class but
/// the first.</summary>
public static class TumourClasses
{
    // BRACS's non-malignant subtypes (normal, pathological benign, usual ductal hyperplasia, flat epithelial atypia,
    // atypical ductal hyperplasia) and its atypical group are not tumour either.
    private static readonly string[] Benign =
    [
        "benign",
        "normal",
        "negative",
        "healthy",
        "background",
        "nontumor",
        "n",
        "pb",
        "udh",
        "fea",
        "adh",
        "atypical",
    ];

    public static IReadOnlyList<string> Of(IReadOnlyList<string> classes, IReadOnlyList<string>? chosen = null)
    {
        if (chosen is { Count: > 0 })
        {
            foreach (var c in chosen)
                if (!classes.Contains(c))
                    throw new ArgumentException(
                        $"Class '{c}' is not one of the model's classes ({string.Join(", ", classes)})."
                    );
            return chosen;
        }
        var tumour = classes.Where(c => !Benign.Contains(ClassNames.Plain(c))).ToList();
        return tumour.Count > 0 && tumour.Count < classes.Count ? tumour : classes.Skip(1).ToList();
    }
}
