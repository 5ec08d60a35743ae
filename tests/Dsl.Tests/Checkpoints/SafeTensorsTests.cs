using System.Buffers.Binary;
using System.Text;
using Dsl.Checkpoints;
using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Checkpoints;

[Collection(TorchState.Name)]
public sealed class SafeTensorsTests
{
    [Fact]
    public void A_module_round_trips_bit_for_bit()
    {
        using var temp = new TempDirectory();
        var source = TinyNet.Create(seed: 1);
        SafeTensors.Save(source, temp["model.safetensors"]);
        var target = TinyNet.Create(seed: 2);
        var (missing, unexpected) = SafeTensors.LoadInto(target, temp["model.safetensors"]);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        var expected = source.Snapshot();
        foreach (var (name, values) in target.Snapshot()) Assert.Equal(expected[name], values);
    }

    [Fact]
    public void The_file_has_the_safetensors_layout()
    {
        using var temp = new TempDirectory();
        using var a = torch.arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var b = torch.tensor(new long[] { 7, 8 });
        SafeTensors.Save([new("b", b), new("a", a)], temp["t.safetensors"], new Dictionary<string, string> { ["format"] = "pt" });

        byte[] bytes = File.ReadAllBytes(temp["t.safetensors"]);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength).TrimEnd(' ');
        Assert.Equal("{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[24,40]}}", header);
        Assert.Equal(8 + (int)headerLength + 40, bytes.Length);
        Assert.Equal(5f, BitConverter.ToSingle(bytes, 8 + (int)headerLength + 20));

        var loaded = SafeTensors.Load(temp["t.safetensors"]);
        Assert.Equal(new long[] { 7, 8 }, loaded["b"].data<long>().ToArray());
        foreach (var t in loaded.Values) t.Dispose();
    }

    [Fact]
    public void A_shape_mismatch_names_the_tensor()
    {
        using var temp = new TempDirectory();
        using var wrong = torch.zeros(3, 3);
        SafeTensors.Save([new("fc1.weight", wrong)], temp["w.safetensors"]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.LoadInto(TinyNet.Create(), temp["w.safetensors"]));
        Assert.Contains("'fc1.weight' has shape [3, 3] but the model's 'fc1.weight' has [16, 4]", e.Message);
    }

    [Fact]
    public void A_mismatch_anywhere_leaves_the_module_untouched()
    {
        using var temp = new TempDirectory();
        var source = TinyNet.Create(seed: 1).state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        source["fc2.weight"] = torch.zeros(5, 5);   // sorts after fc1.*: the fc1 tensors would be copied first
        SafeTensors.Save(source, temp["partly.safetensors"]);
        var target = TinyNet.Create(seed: 2);
        var before = target.Snapshot();
        Assert.Throws<InvalidDataException>(() => SafeTensors.LoadInto(target, temp["partly.safetensors"]));
        foreach (var (name, values) in target.Snapshot()) Assert.Equal(before[name], values);
    }

    [Fact]
    public void A_file_that_is_not_safetensors_is_rejected_clearly()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp["bad.safetensors"], "this is not a safetensors file at all");
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(temp["bad.safetensors"]));
        Assert.Contains("bad.safetensors: header length", e.Message);
        File.WriteAllBytes(temp["short.safetensors"], [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => SafeTensors.Load(temp["short.safetensors"])).Message);
    }

    [Fact]
    public void Missing_and_unexpected_names_are_reported()
    {
        using var temp = new TempDirectory();
        var net = TinyNet.Create();
        var state = net.state_dict().Where(kv => kv.Key != "fc2.bias").Append(new("extra.weight", torch.ones(1)));
        SafeTensors.Save(state, temp["p.safetensors"]);
        var (missing, unexpected) = SafeTensors.LoadInto(TinyNet.Create(), temp["p.safetensors"]);
        Assert.Equal(["fc2.bias"], missing);
        Assert.Equal(["extra.weight"], unexpected);
    }
}
