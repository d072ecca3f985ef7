using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Images;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Quality control on a slide drawn with known artefacts: a band out of focus, a green pen stroke and a
/// fold, each across its own column of tiles, beside sharp tissue. Each is flagged where it is and nowhere else;
/// TileSlides leaves the flagged tiles out when asked; `slide --quality` lists them.</summary>
public sealed class QualityControlTests
{
    // 12 × 6 tiles of tissue (224 px at 0.5 µm/px) inside a border of glass three tiles wide, as slides are mostly
    // glass; tissue columns 3, 6 and 9 carry blur, pen and fold.
    private const int Tile = GridSlide.Tile,
        Columns = 12,
        Rows = 6,
        Border = 3;

    /// <summary>Tissue column 3 out of focus (nuclei and stroma mixed), column 6 under green ink, column 9 darkened as
    /// a fold.</summary>
    private static readonly GridSlide Artefacts = new(
        Columns,
        Rows,
        Border,
        (column, colour, _) =>
            column switch
            {
                3 => (200, 140, 190),
                6 => (colour.R * 0.45, colour.G * 0.8, colour.B * 0.55),
                9 => (colour.R * 0.75, colour.G * 0.65, colour.B * 0.8),
                _ => colour,
            }
    );

    private static readonly Lazy<string> Slide = new(() =>
        Artefacts.Write(Path.Combine(TestTemp.Folder("quality").FullName, "artefacts.tif"))
    );

    [Fact]
    public void EachArtefactIsFlaggedWhereItIsAndNowhereElse()
    {
        using var slide = SlideImage.Open(Slide.Value);
        var tiles = SlideTiling.Plan(slide, TissueMap.Detect(slide), new TilingSettings { MicronsPerPixel = 0.5 });
        var flags = SlideQuality.Assess(slide, tiles, Tile);

        Assert.Equal(Columns * Rows, tiles.Count);
        for (int k = 0; k < tiles.Count; k++)
        {
            var expected = (tiles[k].X / Tile - Border) switch
            {
                3 => TileFlags.Blur,
                6 => TileFlags.Pen,
                9 => TileFlags.Fold,
                _ => TileFlags.None,
            };
            Assert.True(flags[k] == expected, $"tile at {tiles[k].X},{tiles[k].Y}: {flags[k]}, expected {expected}");
        }
        Assert.Equal("blur 6, pen 6, fold 6, background 0", SlideQuality.Describe(flags));
    }

    [Fact]
    public void TileSlidesLeavesFlaggedTilesOutWhenAskedAndTheSlideJobListsThem()
    {
        var cache = TestTemp.Folder("quality-cache").FullName;
        var tiling = new TilingSettings { MicronsPerPixel = 0.5 };
        var all = new SlideFeatureCache(cache, tiling).Get(Slide.Value).Bag.Tiles;
        var checkedBag = new SlideFeatureCache(cache, tiling, qualityControl: true).Get(Slide.Value).Bag;
        var kept = checkedBag.Tiles;
        Assert.Equal(Columns * Rows, all.Count);
        Assert.Equal((Columns - 3) * Rows, kept.Count);
        Assert.DoesNotContain(kept, t => t.X / Tile - Border is 3 or 6 or 9);
        // What was left out travels with the cached features: the same summary on a cache hit.
        var expected = "72 tissue, 54 kept, blur 6, pen 6, fold 6, background 0";
        Assert.Equal(expected, Summary(checkedBag.Quality));
        var hit = new SlideFeatureCache(cache, tiling, qualityControl: true).Get(Slide.Value);
        Assert.True(hit.Hit);
        Assert.Equal(expected, Summary(hit.Bag.Quality));
        Assert.Null(new SlideFeatureCache(cache, tiling).Get(Slide.Value).Bag.Quality);

        var folder = TestTemp.Folder("quality-slide").FullName;
        var report = InspectSlideJob.Run(
            Slide.Value,
            folder,
            new SlideScale(),
            tiling,
            new TissueSettings(),
            _ => { },
            true
        );
        Assert.Equal(6, report.Quality!["pen"]);
        var csv = File.ReadAllLines(Path.Combine(folder, "artefacts.tiles.csv"));
        Assert.Equal("x,y,side,tissue,flags", csv[0]);
        Assert.Equal(6, csv.Count(l => l.EndsWith(",blur", StringComparison.Ordinal)));
    }

    private static string Summary(QualitySummary? q) =>
        q is null
            ? "none"
            : $"{q.TissueTiles} tissue, {q.Kept} kept, "
                + string.Join(", ", q.Flagged.Select(p => $"{p.Key} {p.Value}"));

    [Fact]
    public void TheRunReportListsEachSlidesExcludedTilesMostFirst()
    {
        var run = TestTemp.Folder("quality-report").FullName;
        ImageRecord Slide(string name) => new(Path.Combine(run, name + ".tif"), "normal", null);
        var split = new DatasetSplit([Slide("a"), Slide("b")], [Slide("c")], [Slide("d")]);
        QualitySummary Of(int tissue, int blur, int pen) =>
            new(tissue, tissue - blur - pen, new Dictionary<string, int> { ["blur"] = blur, ["pen"] = pen });
        var summaries = new Dictionary<string, QualitySummary?>
        {
            [split.Train[0].Path] = Of(100, 2, 0),
            [split.Train[1].Path] = Of(50, 0, 0),
            [split.Validation[0].Path] = null,
            [split.Test[0].Path] = Of(10, 3, 2),
        };
        Application.Runs.QualityReport.Write(run, split, summaries);

        var read = Application.Runs.QualityReport.Read(run)!;
        Assert.Equal(["train", "train", "validation", "test"], read.Select(s => s.Split));
        Assert.Equal(summaries[split.Test[0].Path]!.Flagged, read[3].Quality!.Flagged);
        var html = new System.Text.StringBuilder();
        Application.Runs.QualityReport.AppendHtml(html, read);
        var text = html.ToString();
        Assert.Contains("7 of 160 tissue tiles left out (4.4 %): blur 5, pen 2", text);
        Assert.Contains("1 slides' features were cached without", text);
        // d (half left out) before a (2 %); b lost nothing and is not listed.
        Assert.True(text.IndexOf(">d<", StringComparison.Ordinal) < text.IndexOf(">a<", StringComparison.Ordinal));
        Assert.Contains("<td>5 (50 %)</td>", text);
        Assert.DoesNotContain(">b<", text);
        Assert.Null(Application.Runs.QualityReport.Read(TestTemp.Folder("quality-none").FullName));
    }

    [Fact]
    public void TheViewersQualityLayerOutlinesTheFlaggedTilesOnly()
    {
        var scored = new Trainers.ScoredImage(
            Slide.Value,
            0,
            [1f],
            [0f],
            [0, 0],
            new Transforms.Bagging.BagLayout(3, Tile, Tile, 1, 1, 0, 0, Tile, Tile),
            Trainers.MapKind.Attention
        );
        int width = (Columns + 2 * Border) * Tile,
            height = (Rows + 2 * Border) * Tile;
        var item = new Viewer.ViewItem(
            0,
            "artefacts",
            Slide.Value,
            Trainers.ModelInput.Slides,
            scored,
            width,
            height,
            null,
            null
        );
        var png = new Viewer.OverlayPainter().Outline(
            item,
            Viewer.ViewLayers.Quality,
            (0, 0, width, height),
            width / 4,
            height / 4,
            (230, 40, 40)
        );
        var path = Path.Combine(TestTemp.Folder("quality-layer").FullName, "layer.png");
        File.WriteAllBytes(path, png!);
        var overlay = RgbImageReader.Read(path);

        // Red on the edges of the flagged columns (tissue columns 3, 6, 9), none over the clean ones between.
        int Red(int tissueColumn) =>
            Enumerable
                .Range((Border + tissueColumn) * Tile / 4, Tile / 4)
                .Sum(x =>
                    Enumerable.Range(0, overlay.Height).Count(y => overlay[x, y, 0] > 200 && overlay[x, y, 1] < 100)
                );
        Assert.True(Red(3) > 0 && Red(6) > 0 && Red(9) > 0);
        Assert.Equal(0, Red(1));
        Assert.Equal(0, Red(11));
    }

    [Fact]
    public void TileMeasuresFollowTheirDefinitions()
    {
        var glass = TileQuality.Measure(new RgbImage(32, 32, Enumerable.Repeat((byte)242, 32 * 32 * 3).ToArray()));
        Assert.Equal(1.0, glass.GlassShare);
        Assert.True(double.IsNaN(glass.Detail)); // no tissue, no detail to judge: never blurred for it
        var flags = SlideQuality.Flag([glass, TileQuality.Measure(Render(1, Border * Tile, Border * Tile, 224, 224))]);
        Assert.Equal([TileFlags.Background, TileFlags.None], flags);
        var sharp = TileQuality.Measure(Render(1, Border * Tile, Border * Tile, 224, 224));
        var blurred = TileQuality.Measure(Render(1, (Border + 3) * Tile, Border * Tile, 224, 224));
        Assert.True(blurred.Detail < 0.2 * sharp.Detail, $"{blurred.Detail} vs {sharp.Detail}");
        Assert.InRange(TileQuality.Measure(Render(1, (Border + 6) * Tile, Border * Tile, 224, 224)).PenShare, 0.3, 1);
        Assert.Equal(0, sharp.PenShare);
    }

    private static RgbImage Render(int downsample, int x0, int y0, int width, int height) =>
        Artefacts.Render(downsample, x0, y0, width, height);
}
