using Dsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>One point of the two-moons problem and its class (0: upper moon, 1: lower moon).</summary>
public readonly record struct Point(float X, float Y, int Label);

/// <summary>A batch of points: features [n, 2] and labels [n].</summary>
public sealed class PointBatch : Dsl.IBatch<PointBatch, Point>
{
    private PointBatch(Tensor features, Tensor labels)
    {
        Features = features;
        Labels = labels;
    }

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
        // Collation copies into libtorch's aligned memory, so runs with one seed are bit-identical.
        return new PointBatch(
            Collation.Float32(xy, [points.Length, 2], device),
            Collation.Int64(labels, [points.Length], device));
    }

    public void Dispose()
    {
        Features.Dispose();
        Labels.Dispose();
    }
}

/// <summary>Two interleaving half circles with Gaussian noise, from a seed: the same points on every run.</summary>
public static class TwoMoons
{
    public static List<Point> Generate(int count, int seed, double noise = 0.15)
    {
        var random = new Random(seed);
        var points = new List<Point>(count);
        for (int i = 0; i < count; i++)
        {
            int label = i % 2;
            double angle = random.NextDouble() * Math.PI;
            double x = label == 0 ? Math.Cos(angle) : 1 - Math.Cos(angle);
            double y = label == 0 ? Math.Sin(angle) : 0.5 - Math.Sin(angle);
            points.Add(new Point((float)(x + noise * Gaussian(random)), (float)(y + noise * Gaussian(random)), label));
        }
        return points;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
