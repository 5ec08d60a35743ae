using System.Buffers.Binary;
using System.Text;
using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Reliability;

/// <summary>
/// Random header and byte mutations of a valid file: every one either loads a structurally valid file
/// exactly as its header says, or is refused with <see cref="InvalidDataException"/> naming the file;
/// never a crash, another exception or a silent load of an invalid file (issue 12, section 2).
/// CI runs 300 mutations; <c>DSL_FUZZ_MUTATIONS=10000</c> runs the documented long run.
/// </summary>
public sealed class SafeTensorsFuzzTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private static readonly int Mutations =
        int.TryParse(Environment.GetEnvironmentVariable("DSL_FUZZ_MUTATIONS"), out int n) && n > 0 ? n : 300;

    [Fact]
    public void Mutated_files_load_exactly_or_are_refused_clearly()
    {
        using var temp = new TempDirectory();
        string valid = temp["valid.safetensors"];
        SafeTensors.Save(TinyNet.Create(), valid);
        byte[] original = File.ReadAllBytes(valid);
        var random = new Random(20261201);
        int loaded = 0, refused = 0;
        for (int i = 0; i < Mutations; i++)
        {
            byte[] mutated = Mutate(original, random, out string how);
            string path = temp[$"m{i}.safetensors"];
            File.WriteAllBytes(path, mutated);
            try
            {
                var tensors = SafeTensors.Load(path);
                try { AssertLoadedExactly(mutated, tensors, how); }
                finally { foreach (var t in tensors.Values) t.Dispose(); }
                loaded++;
            }
            catch (InvalidDataException e)
            {
                Assert.True(e.Message.StartsWith(path, StringComparison.Ordinal), $"mutation {i} ({how}): '{e.Message}' does not name the file");
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} ({how}) threw {e.GetType().Name}: {e.Message}");
            }
            File.Delete(path);
        }
        log.WriteLine($"{Mutations} mutations: {loaded} loaded exactly as their header says, {refused} refused with the file named.");
        Assert.Equal(Mutations, loaded + refused);
        Assert.True(refused > Mutations / 2, $"only {refused} of {Mutations} mutations were refused: the mutations are too weak");
    }

    // A loaded file must be what its header says: the tensors tile the data, each holds its bytes.
    private static void AssertLoadedExactly(byte[] file, Dictionary<string, TorchSharp.torch.Tensor> tensors, string how)
    {
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        long dataLength = file.Length - 8 - headerLength;
        long total = tensors.Values.Sum(t => t.NumberOfElements * t.ElementSize);
        Assert.True(total == dataLength, $"{how}: loaded {total} bytes of tensors from {dataLength} bytes of data");
        var header = System.Text.Json.Nodes.JsonNode.Parse(Encoding.UTF8.GetString(file, 8, (int)headerLength))!.AsObject();
        foreach (var (name, tensor) in tensors)
        {
            var offsets = header[name]!["data_offsets"]!.AsArray();
            int begin = (int)(8 + headerLength + offsets[0]!.GetValue<long>());
            int end = (int)(8 + headerLength + offsets[1]!.GetValue<long>());
            Assert.True(file.AsSpan(begin, end - begin).SequenceEqual(tensor.bytes), $"{how}: '{name}' does not hold its bytes");
        }
    }

    private static byte[] Mutate(byte[] original, Random random, out string how)
    {
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var bytes = (byte[])original.Clone();
        switch (random.Next(8))
        {
            case 0:   // flip a header byte
            {
                int at = random.Next(8, headerEnd);
                bytes[at] ^= (byte)(1 << random.Next(8));
                how = $"flip header byte {at}";
                return bytes;
            }
            case 1:   // a header digit replaced by another digit (offsets and shapes stay JSON)
            {
                var digits = Enumerable.Range(8, headerEnd - 8).Where(i => bytes[i] is >= (byte)'0' and <= (byte)'9').ToList();
                int at = digits[random.Next(digits.Count)];
                bytes[at] = (byte)('0' + random.Next(10));
                how = $"digit at {at}";
                return bytes;
            }
            case 2:   // truncate
            {
                int length = random.Next(0, original.Length);
                how = $"truncate to {length}";
                return original[..length];
            }
            case 3:   // append bytes
            {
                int extra = random.Next(1, 64);
                how = $"append {extra}";
                return [.. original, .. new byte[extra]];
            }
            case 4:   // change the header length
            {
                ulong length = random.Next(3) switch
                {
                    0 => (ulong)random.Next(0, headerEnd + 16),
                    1 => ulong.MaxValue - (ulong)random.Next(100),
                    _ => (ulong)random.NextInt64(),
                };
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
                how = $"header length {length}";
                return bytes;
            }
            case 5:   // delete or duplicate a header token
            {
                string header = Encoding.UTF8.GetString(original, 8, headerEnd - 8);
                var tokens = System.Text.RegularExpressions.Regex.Split(header, @"([{}\[\],:])").Where(t => t.Length > 0).ToList();
                int at = random.Next(tokens.Count);
                if (random.Next(2) == 0) tokens.RemoveAt(at); else tokens.Insert(at, tokens[at]);
                how = $"token edit at {at}";
                return WithHeader(original, headerEnd, string.Concat(tokens));
            }
            case 6:   // a number in the header replaced by an extreme one
            {
                string header = Encoding.UTF8.GetString(original, 8, headerEnd - 8);
                var numbers = System.Text.RegularExpressions.Regex.Matches(header, "[0-9]+");
                var match = numbers[random.Next(numbers.Count)];
                string[] extremes = ["-1", "0", "9223372036854775807", "18446744073709551616", "1e300", "4000000000000", "1.5", "\"7\"", "null"];
                string value = extremes[random.Next(extremes.Length)];
                how = $"number at {match.Index} -> {value}";
                return WithHeader(original, headerEnd, header[..match.Index] + value + header[(match.Index + match.Length)..]);
            }
            default:   // flip a data byte: a valid file with other weights, which must load as it says
            {
                int at = random.Next(headerEnd, original.Length);
                bytes[at] ^= (byte)(1 << random.Next(8));
                how = $"flip data byte {at}";
                return bytes;
            }
        }
    }

    private static byte[] WithHeader(byte[] original, int headerEnd, string header)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + original.Length - headerEnd];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        original.AsSpan(headerEnd).CopyTo(bytes.AsSpan(8 + json.Length));
        return bytes;
    }
}
