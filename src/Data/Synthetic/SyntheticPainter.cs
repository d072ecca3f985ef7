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
    public void Tumour(float cx, float cy, float rx, float ry)
    {
        using var region = new SKPath();
        region.AddOval(SKRect.Create(cx - rx, cy - ry, 2 * rx, 2 * ry));
        using var maskPaint = new SKPaint { IsAntialias = false, Color = SKColors.White };
        mask.DrawPath(region, maskPaint);
        using var tint = new SKPaint { IsAntialias = true, Color = stain.Shade(stain.Stroma, -22).WithAlpha(150) };
        image.DrawPath(region, tint);
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

    /// <summary>A benign proliferative gland (fibroadenoma-like): a slit-like, elongated lumen lined by two layers
    /// of small regular nuclei.</summary>
    public void SlitGland(float cx, float cy, float length)
    {
        double angle = random.NextDouble() * Math.PI;
        float width = 3 + (float)random.NextDouble() * 3;
        using var lumen = new SKPaint
        {
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = width,
            StrokeCap = SKStrokeCap.Round,
            Color = stain.Lumen,
        };
        float dx = (float)Math.Cos(angle) * length / 2,
            dy = (float)Math.Sin(angle) * length / 2;
        image.DrawLine(cx - dx, cy - dy, cx + dx, cy + dy, lumen);
        float nx = -(float)Math.Sin(angle),
            ny = (float)Math.Cos(angle);
        for (float t = -length / 2; t <= length / 2; t += 6)
            foreach (int side in new[] { -1, 1 })
            foreach (float layer in new[] { width / 2 + 4, width / 2 + 10 })
            {
                float x = cx + (float)Math.Cos(angle) * t + side * nx * layer,
                    y = cy + (float)Math.Sin(angle) * t + side * ny * layer;
                Nucleus(x, y, 2.6f + (float)random.NextDouble() * 0.8f, 1.2f, irregular: false, dark: false);
            }
    }

    /// <summary>Carcinoma in situ: a round duct filled with crowded atypical nuclei, still bounded by its basement
    /// membrane and a ring of flat myoepithelial nuclei, often with central (comedo) necrosis; the duct is painted
    /// into the mask.</summary>
    public void DuctInSitu(float cx, float cy, float radius)
    {
        using var region = new SKPath();
        region.AddCircle(cx, cy, radius);
        using var maskPaint = new SKPaint { IsAntialias = false, Color = SKColors.White };
        mask.DrawPath(region, maskPaint);
        using var fill = new SKPaint { IsAntialias = true, Color = stain.Shade(stain.Stroma, -30) };
        image.DrawPath(region, fill);
        using var membrane = new SKPaint
        {
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 3,
            Color = stain.Lumen,
        };
        image.DrawCircle(cx, cy, radius + 2, membrane);
        int ring = (int)(2 * Math.PI * radius / 7);
        for (int i = 0; i < ring; i++)
        {
            double a = 2 * Math.PI * i / ring;
            float x = cx + (float)Math.Cos(a) * (radius - 1),
                y = cy + (float)Math.Sin(a) * (radius - 1);
            Nucleus(x, y, 2f, 2.4f, irregular: false, dark: false, angle: a + Math.PI / 2);
        }
        int count = (int)(Math.PI * radius * radius / 90);
        for (int i = 0; i < count; i++)
        {
            double a = random.NextDouble() * 2 * Math.PI,
                d = Math.Sqrt(random.NextDouble()) * (radius - 5);
            Nucleus(
                cx + (float)(Math.Cos(a) * d),
                cy + (float)(Math.Sin(a) * d),
                4 + (float)random.NextDouble() * 3,
                1.3f,
                irregular: true,
                dark: true
            );
        }
        if (radius > 18 && random.NextDouble() < 0.6)
        {
            using var necrosis = new SKPaint { IsAntialias = true, Color = stain.Shade(stain.Stroma, 18) };
            image.DrawCircle(cx, cy, radius * 0.3f, necrosis);
        }
    }

    /// <summary>Invasive carcinoma: cords and small nests of atypical nuclei spread through the stroma of an
    /// elliptical region (painted into the mask), with no ring around them.</summary>
    public void InfiltratingTumour(float cx, float cy, float rx, float ry)
    {
        using var region = new SKPath();
        region.AddOval(SKRect.Create(cx - rx, cy - ry, 2 * rx, 2 * ry));
        using var maskPaint = new SKPaint { IsAntialias = false, Color = SKColors.White };
        mask.DrawPath(region, maskPaint);
        int cords = (int)(Math.PI * rx * ry / 700) + 1;
        for (int c = 0; c < cords; c++)
        {
            double a = random.NextDouble() * 2 * Math.PI,
                d = Math.Sqrt(random.NextDouble());
            float x = cx + (float)(Math.Cos(a) * d * rx),
                y = cy + (float)(Math.Sin(a) * d * ry);
            double heading = random.NextDouble() * Math.PI;
            for (int i = random.Next(3, 7); i > 0; i--)
            {
                Nucleus(x, y, 4.5f + (float)random.NextDouble() * 3, 1.5f, irregular: true, dark: true);
                heading += (random.NextDouble() - 0.5) * 0.8;
                x += (float)Math.Cos(heading) * 9;
                y += (float)Math.Sin(heading) * 9;
            }
        }
    }

    /// <summary>A benign mimic of crowding: a dense disc of small, round, very dark nuclei (like a lymphocyte
    /// aggregate).</summary>
    public void DenseCluster(float cx, float cy, float radius)
    {
        int count = (int)(Math.PI * radius * radius / 30);
        for (int i = 0; i < count; i++)
        {
            double a = random.NextDouble() * 2 * Math.PI,
                d = Math.Sqrt(random.NextDouble());
            float x = cx + (float)(Math.Cos(a) * d * radius),
                y = cy + (float)(Math.Sin(a) * d * radius);
            Nucleus(x, y, 2.5f + (float)random.NextDouble(), 1.05f, irregular: false, dark: true);
        }
    }

    /// <summary>A benign mimic of atypia: a loose group of large, dark, irregular nuclei, not crowded.</summary>
    public void AtypicalGroup(float cx, float cy, int count)
    {
        for (int i = 0; i < count; i++)
            Distractor(cx + random.Next(-14, 15), cy + random.Next(-14, 15));
    }

    /// <summary>A staining artefact: a translucent dark band (a fold or ink) across part of the image.</summary>
    public void StainArtefact(float width, float height)
    {
        using var band = new SKPaint
        {
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = random.Next(8, 22),
            StrokeCap = SKStrokeCap.Round,
            Color = stain.Shade(stain.Nucleus, -random.Next(0, 30)).WithAlpha((byte)random.Next(70, 140)),
        };
        float x0 = (float)random.NextDouble() * width,
            y0 = (float)random.NextDouble() * height;
        double angle = random.NextDouble() * Math.PI;
        float length = 120 + (float)random.NextDouble() * 260;
        image.DrawLine(x0, y0, x0 + (float)(Math.Cos(angle) * length), y0 + (float)(Math.Sin(angle) * length), band);
    }

    private void Nucleus(
        float x,
        float y,
        float radius,
        float elongation,
        bool irregular,
        bool dark,
        double? angle = null
    )
    {
        var colour = dark
            ? stain.Shade(stain.Nucleus, -random.Next(25, 55))
            : stain.Shade(stain.Nucleus, random.Next(0, 30));
        using var paint = new SKPaint { IsAntialias = true, Color = colour };
        double turn = random.NextDouble() * Math.PI;
        double orientation = angle ?? turn;
        using var path = new SKPath();
        int points = 9;
        for (int i = 0; i < points; i++)
        {
            double t = 2 * Math.PI * i / points;
            float wobble = irregular ? 0.7f + (float)random.NextDouble() * 0.55f : 1f;
            float px = (float)Math.Cos(t) * radius * elongation * wobble,
                py = (float)Math.Sin(t) * radius * wobble;
            float rx = x + (float)(px * Math.Cos(orientation) - py * Math.Sin(orientation)),
                ry = y + (float)(px * Math.Sin(orientation) + py * Math.Cos(orientation));
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
    /// <summary>Stain colours jittered by up to <paramref name="spread"/> per channel.</summary>
    public static StainJitter Sample(Random random, int spread = 18)
    {
        int j() => random.Next(-spread, spread + 1);
        return new StainJitter(
            new SKColor(Clamp(232 + j()), Clamp(168 + j()), Clamp(205 + j())),
            new SKColor(Clamp(112 + j()), Clamp(62 + j()), Clamp(150 + j())),
            new SKColor(Clamp(246 + j() / 3), Clamp(238 + j() / 3), Clamp(244 + j() / 3))
        );
    }

    /// <summary>These colours moved by up to <paramref name="spread"/> per channel.</summary>
    public StainJitter Nudge(Random random, int spread)
    {
        SKColor n(SKColor c) =>
            new(
                Clamp(c.Red + random.Next(-spread, spread + 1)),
                Clamp(c.Green + random.Next(-spread, spread + 1)),
                Clamp(c.Blue + random.Next(-spread, spread + 1))
            );
        return new StainJitter(n(Stroma), n(Nucleus), n(Lumen));
    }

    public SKColor Shade(SKColor c, int delta) =>
        new(Clamp(c.Red + delta), Clamp(c.Green + delta), Clamp(c.Blue + delta));

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
