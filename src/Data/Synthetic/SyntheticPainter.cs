using SkiaSharp;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>Draws H&amp;E-like tissue: pink stroma, white lumina, purple nuclei. All randomness comes from the given
/// <see cref="Random"/>.</summary>
internal sealed class SyntheticPainter(SKCanvas image, SKCanvas mask, Random random, StainJitter stain)
{
    public void Stroma(int width, int height)
    {
        image.Clear(stain.Stroma);
        using var fibre = new SKPaint
        {
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 2,
        };
        for (int i = 0; i < 220; i++)
        {
            fibre.Color = stain.Shade(stain.Stroma, random.Next(-28, 18)).WithAlpha((byte)random.Next(60, 160));
            float x = random.Next(width),
                y = random.Next(height),
                len = random.Next(20, 90);
            double angle = random.NextDouble() * Math.PI;
            image.DrawLine(x, y, x + (float)(Math.Cos(angle) * len), y + (float)(Math.Sin(angle) * len), fibre);
        }
        using var blot = new SKPaint { IsAntialias = true };
        for (int i = 0; i < 14; i++)
        {
            blot.Color = SKColors.White.WithAlpha((byte)random.Next(120, 230));
            image.DrawOval(random.Next(width), random.Next(height), random.Next(6, 26), random.Next(4, 16), blot);
        }
        // Scattered small, elongated stromal nuclei (fibroblasts).
        for (int i = 0; i < 90; i++)
            Nucleus(
                random.Next(width),
                random.Next(height),
                random.Next(2, 4),
                elongation: 2.2f,
                irregular: false,
                dark: false
            );
    }

    /// <summary>A gland: a white lumen ringed by small regular nuclei.</summary>
    public void Gland(float cx, float cy, float radius)
    {
        using var lumen = new SKPaint { IsAntialias = true, Color = stain.Lumen };
        image.DrawCircle(cx, cy, radius, lumen);
        int count = (int)(2 * Math.PI * (radius + 5) / 9);
        for (int i = 0; i < count; i++)
        {
            double a = 2 * Math.PI * i / count + random.NextDouble() * 0.1;
            float r = radius + 5 + (float)random.NextDouble() * 2;
            Nucleus(
                cx + (float)(Math.Cos(a) * r),
                cy + (float)(Math.Sin(a) * r),
                3 + (float)random.NextDouble(),
                1.2f,
                false,
                false
            );
        }
    }

    /// <summary>Tumour: a blob of crowded, large, irregular, dark nuclei; the blob is painted into the mask.</summary>
    public void Tumour(float cx, float cy, float rx, float ry, bool confinedInRing)
    {
        using var region = new SKPath();
        region.AddOval(SKRect.Create(cx - rx, cy - ry, 2 * rx, 2 * ry));
        using var maskPaint = new SKPaint { IsAntialias = false, Color = SKColors.White };
        mask.DrawPath(region, maskPaint);
        using var tint = new SKPaint { IsAntialias = true, Color = stain.Shade(stain.Stroma, -22).WithAlpha(150) };
        image.DrawPath(region, tint);
        if (confinedInRing)
        {
            using var ring = new SKPaint
            {
                IsAntialias = true,
                Style = SKPaintStyle.Stroke,
                StrokeWidth = 4,
                Color = stain.Shade(stain.Nucleus, 40),
            };
            image.DrawOval(SKRect.Create(cx - rx - 3, cy - ry - 3, 2 * rx + 6, 2 * ry + 6), ring);
        }
        int count = (int)(Math.PI * rx * ry / 120);
        for (int i = 0; i < count; i++)
        {
            double a = random.NextDouble() * 2 * Math.PI,
                d = Math.Sqrt(random.NextDouble());
            float x = cx + (float)(Math.Cos(a) * d * rx),
                y = cy + (float)(Math.Sin(a) * d * ry);
            Nucleus(x, y, 5 + (float)random.NextDouble() * 4, 1.4f, irregular: true, dark: true);
        }
    }

    /// <summary>A lone large dark nucleus in benign tissue (a distractor: colour alone is not the answer).</summary>
    public void Distractor(float x, float y) =>
        Nucleus(x, y, 6 + (float)random.NextDouble() * 3, 1.3f, irregular: true, dark: true);

    private void Nucleus(float x, float y, float radius, float elongation, bool irregular, bool dark)
    {
        var colour = dark
            ? stain.Shade(stain.Nucleus, -random.Next(25, 55))
            : stain.Shade(stain.Nucleus, random.Next(0, 30));
        using var paint = new SKPaint { IsAntialias = true, Color = colour };
        double angle = random.NextDouble() * Math.PI;
        using var path = new SKPath();
        int points = 9;
        for (int i = 0; i < points; i++)
        {
            double t = 2 * Math.PI * i / points;
            float wobble = irregular ? 0.7f + (float)random.NextDouble() * 0.55f : 1f;
            float px = (float)Math.Cos(t) * radius * elongation * wobble,
                py = (float)Math.Sin(t) * radius * wobble;
            float rx = x + (float)(px * Math.Cos(angle) - py * Math.Sin(angle)),
                ry = y + (float)(px * Math.Sin(angle) + py * Math.Cos(angle));
            if (i == 0)
                path.MoveTo(rx, ry);
            else
                path.LineTo(rx, ry);
        }
        path.Close();
        image.DrawPath(path, paint);
    }
}

/// <summary>Per-image stain colours, jittered so the class is not readable from colour alone.</summary>
internal sealed record StainJitter(SKColor Stroma, SKColor Nucleus, SKColor Lumen)
{
    public static StainJitter Sample(Random random)
    {
        int j() => random.Next(-18, 19);
        return new StainJitter(
            new SKColor(Clamp(232 + j()), Clamp(168 + j()), Clamp(205 + j())),
            new SKColor(Clamp(112 + j()), Clamp(62 + j()), Clamp(150 + j())),
            new SKColor(Clamp(246 + j() / 3), Clamp(238 + j() / 3), Clamp(244 + j() / 3))
        );
    }

    public SKColor Shade(SKColor c, int delta) =>
        new(Clamp(c.Red + delta), Clamp(c.Green + delta), Clamp(c.Blue + delta));

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
