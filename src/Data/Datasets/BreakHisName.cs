using System.Globalization;
using System.Text.RegularExpressions;

namespace Amil.MLNet.Data.Datasets;

/// <summary>A BreakHis file name, e.g. <c>SOB_B_A-14-22549AB-40-001.png</c>: class, subtype, year, patient,
/// magnification, sequence.</summary>
public sealed partial record BreakHisName(
    bool Malignant,
    string Subtype,
    int Year,
    string Patient,
    int Magnification,
    int Sequence
)
{
    public static readonly IReadOnlyList<string> BenignSubtypes = ["A", "F", "PT", "TA"];
    public static readonly IReadOnlyList<string> MalignantSubtypes = ["DC", "LC", "MC", "PC"];

    private static readonly Dictionary<string, string> SubtypeFolders = new()
    {
        ["A"] = "adenosis",
        ["F"] = "fibroadenoma",
        ["PT"] = "phyllodes_tumor",
        ["TA"] = "tubular_adenoma",
        ["DC"] = "ductal_carcinoma",
        ["LC"] = "lobular_carcinoma",
        ["MC"] = "mucinous_carcinoma",
        ["PC"] = "papillary_carcinoma",
    };

    public string ClassName => Malignant ? "malignant" : "benign";
    public string ClassLetter => Malignant ? "M" : "B";

    /// <summary>Patient id as BreakHis writes it in folder names, e.g. <c>SOB_B_A_14-22549AB</c>.</summary>
    public string PatientFolder => $"SOB_{ClassLetter}_{Subtype}_{Year}-{Patient}";
    public string FileName => $"SOB_{ClassLetter}_{Subtype}-{Year}-{Patient}-{Magnification}-{Sequence:D3}.png";

    /// <summary>Path in the BreakHis layout, relative to the dataset root.</summary>
    public string RelativePath =>
        Path.Combine(
            "BreaKHis_v1",
            "histology_slides",
            "breast",
            ClassName,
            "SOB",
            SubtypeFolders[Subtype],
            PatientFolder,
            $"{Magnification}X",
            FileName
        );

    public static bool TryParse(string fileName, out BreakHisName name)
    {
        name = null!;
        var m = Pattern().Match(Path.GetFileName(fileName));
        if (!m.Success)
            return false;
        var subtype = m.Groups["subtype"].Value;
        bool malignant = m.Groups["cls"].Value == "M";
        if (!(malignant ? MalignantSubtypes : BenignSubtypes).Contains(subtype))
            return false;
        name = new BreakHisName(
            malignant,
            subtype,
            int.Parse(m.Groups["year"].Value, CultureInfo.InvariantCulture),
            m.Groups["patient"].Value,
            int.Parse(m.Groups["mag"].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture)
        );
        return true;
    }

    [GeneratedRegex(
        @"^SOB_(?<cls>[BM])_(?<subtype>[A-Z]+)-(?<year>\d+)-(?<patient>[0-9A-Za-z]+)-(?<mag>\d+)-(?<seq>\d+)\.png$",
        RegexOptions.IgnoreCase
    )]
    private static partial Regex Pattern();
}
