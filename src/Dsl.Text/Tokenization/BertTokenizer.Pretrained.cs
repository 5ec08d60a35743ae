using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsl.Logging;

namespace Dsl.Text.Tokenization;

public sealed partial class BertTokenizer
{
    /// <summary>The tokenizer settings file HF writes beside <c>vocab.txt</c>.</summary>
    public const string ConfigFile = "tokenizer_config.json";

    /// <summary>
    /// Reads a Hugging Face folder: <c>vocab.txt</c>, and <c>tokenizer_config.json</c> when present
    /// (<c>do_lower_case</c>, <c>strip_accents</c>, <c>tokenize_chinese_chars</c>, <c>model_max_length</c>).
    /// <paramref name="options"/> overrides what the folder says.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>vocab.txt</c>.</exception>
    public static BertTokenizer FromPretrained(string directory, BertTokenizerOptions? options = null)
    {
        string vocabulary = Path.Combine(directory, VocabularyFile);
        if (!File.Exists(vocabulary))
            throw new FileNotFoundException($"{directory} has no {VocabularyFile}; a BERT tokenizer needs one (tokenizer.json alone is not read).", vocabulary);
        var fromFolder = new BertTokenizerOptions();
        string configPath = Path.Combine(directory, ConfigFile);
        if (File.Exists(configPath))
        {
            try
            {
                var json = JsonNode.Parse(File.ReadAllText(configPath))?.AsObject()
                    ?? throw new InvalidDataException($"{configPath}: expected a JSON object.");
                fromFolder = fromFolder with
                {
                    LowerCase = json["do_lower_case"]?.GetValue<bool>(),
                    StripAccents = json["strip_accents"]?.GetValue<bool>(),
                    TokenizeChineseChars = json["tokenize_chinese_chars"]?.GetValue<bool>() ?? true,
                    // HF: model_max_length is a huge sentinel when unset; keep 512 then.
                    MaxLength = json["model_max_length"]?.GetValue<double>() is double m && m is >= 2 and <= 1_000_000 ? (int)m : 512,
                };
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{configPath}: {e.Message}", e);
            }
        }
        return FromVocabulary(vocabulary, options is null ? fromFolder : options with
        {
            LowerCase = options.LowerCase ?? fromFolder.LowerCase,
            StripAccents = options.StripAccents ?? fromFolder.StripAccents,
        });
    }

    /// <summary>Writes <c>vocab.txt</c> and <c>tokenizer_config.json</c>, which HF's <c>BertTokenizer(Fast).from_pretrained</c> reads.</summary>
    public void SavePretrained(string directory)
    {
        var text = new StringBuilder();
        foreach (string token in _vocabulary) text.Append(token).Append('\n');
        var config = new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer",
            ["do_lower_case"] = Options.LowerCase,
            ["strip_accents"] = Options.StripAccents == Options.LowerCase ? null : Options.StripAccents,
            ["tokenize_chinese_chars"] = Options.TokenizeChineseChars,
            ["model_max_length"] = Options.MaxLength,
            ["pad_token"] = "[PAD]",
            ["unk_token"] = "[UNK]",
            ["cls_token"] = "[CLS]",
            ["sep_token"] = "[SEP]",
            ["mask_token"] = "[MASK]",
        };
        // Written aside and renamed together, as the model is: a full disk leaves the tokenizer saved there before whole.
        Dsl.Checkpoints.ReplacedFiles.Write(directory, "the tokenizer", null,
            (VocabularyFile, path => File.WriteAllText(path, text.ToString(), new UTF8Encoding(false))),
            (ConfigFile, path => File.WriteAllText(path, PythonJson.Serialize(config) + "\n")));
    }
}
