using System.Text;

namespace Dsl.Text.Tests.Reliability.DataFuzz;

/// <summary>Seeded mutations of a file's bytes: what a bad copy, a bad export or a hand edit does to a data file.</summary>
public sealed class Mutator(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly byte[][] Interesting =
    [
        [0x00], [(byte)'"'], [(byte)','], [(byte)'\t'], [(byte)'\n'], [(byte)'\r'], [(byte)'\r', (byte)'\n'], [(byte)'{'], [(byte)'}'],
        [(byte)':'], [(byte)'\\'], [(byte)' '], [0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xEF, 0xBB, 0xBF], [0xFF, 0xFE], [0xE2, 0x80, 0x8B],
        "\\ud800"u8.ToArray(), "\\udc00\\ud800"u8.ToArray(), "\\u0000"u8.ToArray(), "\"\""u8.ToArray(), "\"label\": 1"u8.ToArray(),
        "\"text\": \"x\""u8.ToArray(), "1e3"u8.ToArray(), "-1"u8.ToArray(), "2147483648"u8.ToArray(), "1.0"u8.ToArray(),
        "99999999999999999999"u8.ToArray(), "null"u8.ToArray(), "true"u8.ToArray(), "[]"u8.ToArray(), "+1"u8.ToArray(),
    ];

    /// <summary>One to three mutations of <paramref name="original"/>; <paramref name="what"/> says which.</summary>
    public byte[] Mutate(byte[] original, out string what)
    {
        var bytes = new List<byte>(original);
        var done = new List<string>();
        int count = 1 + _random.Next(3);
        for (int n = 0; n < count; n++)
        {
            int at = bytes.Count == 0 ? 0 : _random.Next(bytes.Count);
            switch (_random.Next(9))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << _random.Next(8));
                    done.Add($"flip a bit at {at}");
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = (byte)_random.Next(256);
                    done.Add($"replace byte {at}");
                    break;
                case 2:
                    var insert = Interesting[_random.Next(Interesting.Length)];
                    bytes.InsertRange(at, insert);
                    done.Add($"insert {Encoding.Latin1.GetString(insert)} at {at}");
                    break;
                case 3 when bytes.Count > 0:
                    int length = Math.Min(1 + _random.Next(16), bytes.Count - at);
                    bytes.RemoveRange(at, length);
                    done.Add($"delete {length} at {at}");
                    break;
                case 4 when bytes.Count > 0:
                    int copy = Math.Min(1 + _random.Next(64), bytes.Count - at);
                    bytes.InsertRange(_random.Next(bytes.Count), bytes.GetRange(at, copy));
                    done.Add($"duplicate {copy} from {at}");
                    break;
                case 5:
                    int cut = _random.Next(bytes.Count + 1);
                    bytes.RemoveRange(cut, bytes.Count - cut);
                    done.Add($"truncate at {cut}");
                    break;
                case 6 when bytes.Count > 0:
                    // A number replaced by an extreme one: the label's range and type checks.
                    int digit = bytes.FindIndex(at, b => b is >= (byte)'0' and <= (byte)'9');
                    if (digit < 0) goto default;
                    int end = digit;
                    while (end < bytes.Count && bytes[end] is >= (byte)'0' and <= (byte)'9') end++;
                    var number = Interesting[_random.Next(24, Interesting.Length)];
                    bytes.RemoveRange(digit, end - digit);
                    bytes.InsertRange(digit, number);
                    done.Add($"number at {digit} becomes {Encoding.Latin1.GetString(number)}");
                    break;
                case 7:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Unusual[_random.Next(Unusual.Length)]));
                    done.Add($"insert unusual text at {at}");
                    break;
                default:
                    // Two lines swapped, or one dropped.
                    int first = bytes.IndexOf((byte)'\n', at);
                    if (first < 0) break;
                    bytes.InsertRange(at, bytes.GetRange(first + 1, Math.Min(32, bytes.Count - first - 1)));
                    done.Add($"splice the next line at {at}");
                    break;
            }
        }
        what = string.Join("; ", done);
        return bytes.ToArray();
    }

    /// <summary>Text that readers and tokenizers get wrong: zero-width, combining, right-to-left, astral, quotes.</summary>
    public static readonly string[] Unusual =
    [
        "\u200B", "\u200D", "\uFEFF", "e\u0301\u0301\u0301", "\u202Eevil", "😀", "𝔘𝔫𝔦", "日本語", "\u00A0", "\u2028", "\u0085",
        "\"quoted, with comma\"", "a\"b", "\t", "naïve café", "\u0000",
    ];

    /// <summary>A seeded pick in [0, <paramref name="max"/>).</summary>
    public int Next(int max) => _random.Next(max);
}
