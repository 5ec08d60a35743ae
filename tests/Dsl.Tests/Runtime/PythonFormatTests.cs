using System.Text.Json.Nodes;
using Dsl.Logging;

namespace Dsl.Tests.Runtime;

/// <summary>Numbers and JSON exactly as Python prints them, so our files diff cleanly against HF's.</summary>
/// <remarks>Expected values checked with CPython 3.11: repr(), round() and json.dumps(indent=2, sort_keys=True).</remarks>
public sealed class PythonFormatTests
{
    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(5e-5, "5e-05")]
    [InlineData(1.5e-5, "1.5e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.6931, "0.6931")]
    [InlineData(123456789012345.0, "123456789012345.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1.2345678901234567e+17, "1.2345678901234566e+17")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(-2.5, "-2.5")]
    public void Repr_matches_Python(double value, string expected) => Assert.Equal(expected, PythonFloat.Repr(value));

    [Theory]
    [InlineData(0.03125, 4, 0.0312)]        // an exact tie rounds to even, as Python's round does
    [InlineData(0.03135, 4, 0.0314)]        // 0.03135 is slightly above the tie in binary
    [InlineData(2.675, 2, 2.67)]            // the classic: 2.675 is 2.67499999... in binary
    [InlineData(0.5, 0, 0.0)]
    [InlineData(1.5, 0, 2.0)]
    [InlineData(-0.12345, 3, -0.123)]
    [InlineData(0.693147, 4, 0.6931)]
    [InlineData(12345.6789, 3, 12345.679)]
    public void Round_matches_Python(double value, int digits, double expected) =>
        Assert.Equal(expected, PythonFloat.Round(value, digits));

    [Fact]
    public void Json_matches_json_dumps_with_indent_2_and_sorted_keys()
    {
        var node = new JsonObject
        {
            ["b"] = 1,
            ["a"] = new JsonArray(1.0, 5e-05, "x\u00e9"),
            ["c"] = new JsonObject(),
            ["d"] = new JsonArray(),
            ["e"] = null,
            ["f"] = true,
        };
        Assert.Equal("{\n  \"a\": [\n    1.0,\n    5e-05,\n    \"x\\u00e9\"\n  ],\n  \"b\": 1,\n  \"c\": {},\n  \"d\": [],\n  \"e\": null,\n  \"f\": true\n}",
            PythonJson.Serialize(node));
        Assert.Equal("{\"b\": 1, \"a\": [1.0]}", PythonJson.Serialize(new JsonObject { ["b"] = 1, ["a"] = new JsonArray(1.0) }, indent: null, sortKeys: false));
    }

    [Fact]
    public void Metrics_print_as_a_Python_dict_with_the_epoch_rounded()
    {
        var entry = new LogEntry(3);
        entry.Set("loss", 0.6931);
        entry.Set("learning_rate", 5e-5);
        entry.Set("epoch", 0.3333333);
        Assert.Equal("{'loss': 0.6931, 'learning_rate': 5e-05, 'epoch': 0.33}", entry.ToString());
        var e = Assert.Throws<KeyNotFoundException>(() => entry["accuracy"]);
        Assert.Equal("No 'accuracy' here; the keys are loss, learning_rate, epoch.", e.Message);
    }

    [Theory]
    [InlineData("epoch", 2.0, "2.0")]
    [InlineData("epoch", 0.3333333, "0.33")]
    [InlineData("epoch", 1.005, "1.0")]
    [InlineData("eval_accuracy", 0.48, "0.48")]
    [InlineData("loss", 0.3333333, "0.3333333")]
    public void One_value_formats_as_the_printed_dict_shows_it(string key, double value, string expected)
    {
        Assert.Equal(expected, Metrics.Format(key, value));
        var metrics = new Metrics();
        metrics.Set(key, value);
        Assert.Equal($"{{'{key}': {expected}}}", metrics.ToString());
    }
}
