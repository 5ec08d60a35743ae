using System.Buffers.Binary;
using System.Globalization;
using Google.Protobuf;
using Tensorboard;

namespace Dsl.Logging;

/// <summary>
/// One TensorBoard event file, written as TensorFlow's and PyTorch's <c>SummaryWriter</c> write them:
/// named <c>events.out.tfevents.{unix seconds, 10 digits}.{host}.{pid}.{n}</c> (PyTorch's
/// <c>EventFileWriter</c>; <c>n</c> counts the files this process opened), starting with a
/// <c>brain.Event:2</c> file-version event, each event a TFRecord (length, masked CRC-32C of the
/// length, the <c>Event</c> protobuf, masked CRC-32C of the data) with its wall time in seconds since
/// 1970. TorchSharp's own writer names files with .NET ticks and stamps events with ticks, so
/// TensorBoard orders runs and shows relative times wrongly; this one does neither.
/// </summary>
public sealed class TensorBoardEventFile
{
    private static int s_opened = -1;

    /// <summary>Creates the file (and its folder) in <paramref name="directory"/> with the file-version event.</summary>
    public TensorBoardEventFile(string directory, DateTimeOffset? now = null)
    {
        var time = now ?? DateTimeOffset.UtcNow;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception error) when (Checkpoints.StorageErrors.IsDiskFull(error))
        {
            throw Checkpoints.StorageErrors.DiskFull(directory, null, JsonlLogSink.LogAdvice, error);
        }
        Path = System.IO.Path.Combine(directory, FileName(time, Environment.MachineName, Environment.ProcessId, Interlocked.Increment(ref s_opened)));
        Append(new Event { WallTime = WallTime(time), FileVersion = "brain.Event:2" });
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <summary>PyTorch's name: <c>events.out.tfevents.%010d.%s.%s.%s</c> of (seconds, host, pid, n).</summary>
    public static string FileName(DateTimeOffset time, string host, int processId, int n) =>
        string.Create(CultureInfo.InvariantCulture, $"events.out.tfevents.{time.ToUnixTimeSeconds():D10}.{host}.{processId}.{n}");

    /// <summary>Appends one event holding <paramref name="scalars"/> (tag, value) at <paramref name="step"/>.</summary>
    public void AddScalars(IEnumerable<(string Tag, float Value)> scalars, long step, DateTimeOffset? now = null)
    {
        var summary = new Summary();
        foreach (var (tag, value) in scalars) summary.Value.Add(new Summary.Types.Value { Tag = tag, SimpleValue = value });
        Append(new Event { WallTime = WallTime(now ?? DateTimeOffset.UtcNow), Step = step, Summary = summary });
    }

    private static double WallTime(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;

    private void Append(Event e)
    {
        byte[] data = e.ToByteArray();
        var record = new byte[8 + 4 + data.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), MaskedCrc32C(record.AsSpan(0, 8)));
        data.CopyTo(record, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12 + data.Length), MaskedCrc32C(data));
        // Open, append, close: written on log steps only, and whole records reach the file at once.
        try
        {
            using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
            stream.Write(record);
        }
        catch (Exception error) when (Checkpoints.StorageErrors.IsDiskFull(error))
        {
            throw Checkpoints.StorageErrors.DiskFull(Path, record.Length, JsonlLogSink.LogAdvice, error);
        }
    }

    /// <summary>TFRecord's checksum: CRC-32C (Castagnoli), rotated right by 15 bits plus 0xa282ead8.</summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    /// <summary>CRC-32C (Castagnoli, reflected polynomial 0x82F63B78); "123456789" gives 0xE3069283.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0x82F63B78u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}
