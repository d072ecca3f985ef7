using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>How pixels touch: by an edge (4 neighbours) or also by a corner (8).</summary>
public enum Connectivity
{
    /// <summary>By an edge.</summary>
    Four = 4,

    /// <summary>By an edge or a corner.</summary>
    Eight = 8,
}

/// <summary>Connected regions of a binary grid (tissue pieces, holes, tumour lesions).</summary>
public static class Regions
{
    /// <summary>Numbers the connected regions of the set pixels from 0, in the order their first pixel comes in a
    /// row-by-row scan.</summary>
    /// <returns>Each pixel's region; −1 where the pixel is not set.</returns>
    public static int[] Label(bool[] set, int width, int height, Connectivity connectivity, out int count)
    {
        if (set.Length != width * height)
            throw new ArgumentException($"A {width}x{height} grid needs {width * height} values.", nameof(set));
        var label = new int[set.Length];
        Array.Fill(label, -1);
        count = 0;
        var stack = new Stack<int>();
        int reach = connectivity == Connectivity.Eight ? 1 : 0;
        for (int start = 0; start < set.Length; start++)
        {
            if (!set[start] || label[start] >= 0)
                continue;
            label[start] = count;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop(),
                    x = i % width,
                    y = i / width;
                for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    // Four: the edge neighbours only (one of dx, dy is 0).
                    if ((dx == 0 && dy == 0) || (reach == 0 && dx != 0 && dy != 0))
                        continue;
                    int nx = x + dx,
                        ny = y + dy,
                        j = ny * width + nx;
                    if (nx < 0 || ny < 0 || nx >= width || ny >= height || !set[j] || label[j] >= 0)
                        continue;
                    label[j] = count;
                    stack.Push(j);
                }
            }
            count++;
        }
        return label;
    }
}
