using Dsl;
using Dsl.Data;
using static TorchSharp.torch;

namespace MyTrainer;

/// <summary>One example: a point and its class (1: above the line y = x/2, 0: below).</summary>
public readonly record struct Point(float X, float Y, int Label);

/// <summary>A batch: features [n, 2] and labels [n]. The generated loop calls Collate on a background thread.</summary>
public sealed class PointBatch : IBatch<PointBatch, Point>
{
    private PointBatch(Tensor features, Tensor labels) => (Features, Labels) = (features, labels);

    public Tensor Features { get; }
    public Tensor Labels { get; }

    public static PointBatch Collate(ReadOnlySpan<Point> points, Device device)
    {
        var xy = new float[points.Length * 2];
        var labels = new long[points.Length];
        for (int i = 0; i < points.Length; i++)
        {
            xy[2 * i] = points[i].X;
            xy[2 * i + 1] = points[i].Y;
            labels[i] = points[i].Label;
        }
        return new PointBatch(Collation.Float32(xy, [points.Length, 2], device), Collation.Int64(labels, [points.Length], device));
    }

    public void Dispose()
    {
        Features.Dispose();
        Labels.Dispose();
    }
}

/// <summary>The tiny dataset: seeded, so every run sees the same points.</summary>
public static class Points
{
    public static List<Point> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var points = new List<Point>(count);
        for (int i = 0; i < count; i++)
        {
            float x = (float)(random.NextDouble() * 4 - 2), y = (float)(random.NextDouble() * 4 - 2);
            points.Add(new Point(x, y, y > x / 2 ? 1 : 0));
        }
        return points;
    }
}
