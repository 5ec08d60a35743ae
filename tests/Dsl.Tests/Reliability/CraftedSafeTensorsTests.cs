using System.Buffers.Binary;
using System.Text;
using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Reliability;

/// <summary>
/// Crafted and damaged safetensors files are refused before anything is allocated, with a message
/// naming the file and the tensor (issue 12, defect 3). Each case is a row of docs/reliability.md.
/// </summary>
public sealed class CraftedSafeTensorsTests
{
    /// <summary>A file with <paramref name="header"/> (JSON) and <paramref name="dataLength"/> data bytes.</summary>
    internal static string Write(TempDirectory temp, string header, int dataLength, string name = "crafted.safetensors")
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        string path = temp[name];
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertRefused(string header, int dataLength, params string[] culprits)
    {
        using var temp = new TempDirectory();
        string path = Write(temp, header, dataLength);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains(path, error.Message);
        foreach (string culprit in culprits) Assert.Contains(culprit, error.Message);
        Assert.Throws<InvalidDataException>(() => SafeTensors.LoadInto(TinyNet.Create(), path));
    }

    [Fact]
    public void Overlapping_offsets_are_refused() => AssertRefused(
        """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12,
        "'b'", "overlaps");

    [Fact]
    public void Two_tensors_on_the_same_bytes_are_refused() => AssertRefused(
        """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8,
        "overlaps");

    [Fact]
    public void Bytes_after_the_last_tensor_are_refused() => AssertRefused(
        """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 9, "1 bytes follow the last tensor");

    [Fact]
    public void A_gap_between_tensors_is_refused() => AssertRefused(
        """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12,
        "'b'", "gap");

    [Fact]
    public void A_four_terabyte_shape_is_refused_before_any_allocation() => AssertRefused(
        """{"a":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,8]}}""", 8, "'a'", "spans 8 bytes", "needs 4000000000000");

    [Fact]
    public void A_negative_dimension_is_refused() => AssertRefused(
        """{"a":{"dtype":"F32","shape":[-2,-1],"data_offsets":[0,8]}}""", 8, "'a'", "negative dimension");

    [Fact]
    public void A_shape_whose_size_overflows_is_refused() => AssertRefused(
        """{"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}""", 8, "'a'", "too large");

    [Fact]
    public void A_non_string_metadata_value_is_refused() => AssertRefused(
        """{"__metadata__":{"format":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "__metadata__ 'format'", "must be strings");

    [Fact]
    public void Metadata_that_is_not_an_object_is_refused() => AssertRefused(
        """{"__metadata__":["pt"],"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "__metadata__ must be an object");

    [Fact]
    public void An_unknown_dtype_is_refused() => AssertRefused(
        """{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}""", 4, "'a'", "'F33'");

    [Fact]
    public void Three_data_offsets_are_refused() => AssertRefused(
        """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", 8, "'a'", "3 data_offsets");

    [Fact]
    public void A_fractional_dimension_is_refused() => AssertRefused(
        """{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", 4, "'a'");

    [Fact]
    public void A_missing_shape_is_refused() => AssertRefused(
        """{"a":{"dtype":"F32","data_offsets":[0,4]}}""", 4, "'a'", "needs a dtype string, a shape");

    [Fact]
    public void A_name_given_twice_is_refused() => AssertRefused(
        """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "not valid JSON");

    [Fact]
    public void Offsets_past_the_end_of_the_file_are_refused() => AssertRefused(
        """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8, "'a'", "outside the data");

    [Fact]
    public void A_header_that_is_not_an_object_is_refused() => AssertRefused("""[1,2]""", 0, "not a JSON object");

    [Fact]
    public void A_header_length_beyond_the_file_is_refused()
    {
        using var temp = new TempDirectory();
        string path = Write(temp, """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4);
        byte[] bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue - 3);
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("does not fit the file", error.Message);
    }

    [Fact]
    public void An_empty_tensor_and_a_file_that_tiles_exactly_load()
    {
        using var temp = new TempDirectory();
        string path = Write(temp,
            """{"__metadata__":{"format":"pt"},"b":{"dtype":"I64","shape":[1],"data_offsets":[4,12]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 12);
        var loaded = SafeTensors.Load(path);
        Assert.Equal(["a", "b", "e"], loaded.Keys.Order());
        Assert.Equal([0L, 3L], loaded["e"].shape);
        foreach (var t in loaded.Values) t.Dispose();
    }
}
