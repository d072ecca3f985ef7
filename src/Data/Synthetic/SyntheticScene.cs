namespace Amil.MLNet.Data.Synthetic;

/// <summary>What one synthetic image of a class shows, drawn on stroma: glands, tumour, look-alike distractors, and
/// BACH's slit glands, ducts in situ and infiltrating tumour. Every draw comes from the given <see cref="Random"/> in
/// a fixed order, so a seed writes the same image.</summary>
internal sealed class SyntheticScene(SyntheticPainter painter, Random random, float width, float height)
{
    /// <summary>Draws the scene of <paramref name="imageClass"/> (BreakHis' benign/malignant or BACH's four).</summary>
    public void Draw(string imageClass)
    {
        switch (imageClass)
        {
            case "benign":
                Glands(3, 6);
                Distractors(0.5);
                break;
            case "malignant":
                Glands(1, 4);
                Tumours(1, 3);
                Distractors(0.2);
                break;
            // BACH's classes differ in what a single patch shows (format 4; format 3 told Normal from Benign by the
            // number of glands alone, which an attention-weighted average cannot count).
            case "Normal":
                Glands(2, 5);
                Distractors(0.3);
                break;
            case "Benign":
                Glands(1, 3);
                Repeat(4, 9, 50, (x, y) => painter.SlitGland(x, y, random.Next(40, 90)));
                Distractors(0.3);
                break;
            case "InSitu":
                Glands(1, 3);
                Repeat(3, 7, 40, (x, y) => painter.DuctInSitu(x, y, random.Next(14, 31)));
                Distractors(0.2);
                break;
            case "Invasive":
                Glands(0, 2);
                InfiltratingTumours();
                Distractors(0.3);
                break;
        }
    }

    private (float X, float Y) Anywhere(float margin) =>
        (
            margin + (float)random.NextDouble() * (width - 2 * margin),
            margin + (float)random.NextDouble() * (height - 2 * margin)
        );

    /// <summary>From <paramref name="min"/> to <paramref name="max"/> − 1 of a structure (as
    /// <see cref="Random.Next(int, int)"/> draws), each somewhere at least <paramref name="margin"/> from the
    /// edges.</summary>
    private void Repeat(int min, int max, float margin, Action<float, float> draw)
    {
        for (int i = random.Next(min, max); i > 0; i--)
        {
            var (x, y) = Anywhere(margin);
            draw(x, y);
        }
    }

    private void Glands(int min, int max) =>
        Repeat(min, max + 1, 30, (x, y) => painter.Gland(x, y, random.Next(14, 34)));

    private void Distractors(double chance)
    {
        if (random.NextDouble() < chance)
            Repeat(3, 9, 10, painter.Distractor);
    }

    /// <summary>Total tumour area varies from a small focus to most of the image.</summary>
    private void Tumours(int min, int max)
    {
        double share = 0.03 + random.NextDouble() * 0.37;
        int blobs = random.Next(min, max + 1);
        for (int i = 0; i < blobs; i++)
        {
            double area = share * width * height / blobs;
            float aspect = 0.6f + (float)random.NextDouble() * 0.8f;
            float rx = (float)Math.Sqrt(area / Math.PI * aspect),
                ry = (float)(area / Math.PI / rx);
            var (x, y) = Anywhere(Math.Min(Math.Min(rx, ry), 60));
            painter.Tumour(x, y, rx, ry);
        }
    }

    private void InfiltratingTumours()
    {
        for (int i = random.Next(1, 3); i > 0; i--)
        {
            float rx = random.Next(50, 110),
                ry = random.Next(40, 90);
            var (x, y) = Anywhere(Math.Min(rx, ry));
            painter.InfiltratingTumour(x, y, rx, ry);
        }
    }
}
