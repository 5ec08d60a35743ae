using Dsl.Text.Data;
using Dsl.Text.Tokenization;

namespace Dsl.Text.Tests.Tokenization;

public class BertTokenizerTests
{
    private static int[] Ids(params string[] tokens) => tokens.Select(TinyVocabulary.Id).ToArray();

    [Fact]
    public void A_sentence_is_lower_cased_split_and_wrapped_in_cls_and_sep()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp);
        var encoded = tokenizer.Encode("Hello, my DOG is cute!");
        Assert.Equal(Ids("[CLS]", "hello", ",", "my", "dog", "is", "cute", "!", "[SEP]"), encoded.InputIds);
        Assert.All(encoded.TokenTypeIds, t => Assert.Equal(0, t));
        Assert.All(encoded.AttentionMask, m => Assert.Equal(1, m));
        Assert.Null(encoded.Label);
        Assert.True(tokenizer.Options.LowerCase); // inferred: the vocabulary has no upper-case token
    }

    [Fact]
    public void Accents_are_stripped_for_an_uncased_vocabulary()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp);
        Assert.Equal(["cafe", "naive", "resume"], tokenizer.Tokenize("Café naïve RÉSUMÉ"));
    }

    [Fact]
    public void Punctuation_is_split_off_including_ascii_symbols()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp);
        // HF: every ASCII character that is not a letter, digit or space counts as punctuation ($ too).
        Assert.Equal(["dog", "'", "s", "movie", "?", "$", "good", "."], tokenizer.Tokenize("dog's movie?$good."));
    }

    [Fact]
    public void Words_split_into_wordpieces_and_unknown_words_become_one_unk()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp);
        Assert.Equal(["play", "##ing", "play", "##ed", "un", "##want", "##ed"], tokenizer.Tokenize("playing played unwanted"));
        // HF: a word with any piece outside the vocabulary is one [UNK], not a partial split.
        Assert.Equal(["the", "[UNK]", "[UNK]", "dog"], tokenizer.Tokenize("the zebra playx dog"));
        Assert.Equal(Ids("[CLS]", "[UNK]", "[SEP]"), tokenizer.Encode("zebra").InputIds);
    }

    [Fact]
    public void A_cased_tokenizer_keeps_case_and_accents()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { LowerCase = false });
        Assert.Equal(["[UNK]", "dog", "[UNK]"], tokenizer.Tokenize("Hello dog café"));
        Assert.False(tokenizer.Options.StripAccents);

        string cased = TinyVocabulary.Write(temp, [.. TinyVocabulary.Tokens, "Hello"]);
        Assert.False(BertTokenizer.FromVocabulary(cased).Options.LowerCase);
    }

    [Fact]
    public void Long_texts_are_truncated_to_max_length_with_the_final_sep_kept()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 5 });
        var encoded = tokenizer.Encode("hello my dog is cute", label: 1);
        Assert.Equal(Ids("[CLS]", "hello", "my", "dog", "[SEP]"), encoded.InputIds);
        Assert.Equal(1, encoded.Label);

        var strict = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 5, Truncation = false });
        Assert.Contains("MaxLength 5", Assert.Throws<ArgumentException>(() => strict.Encode("hello my dog is cute")).Message);
    }

    [Fact]
    public void Head_and_tail_truncation_keeps_the_first_and_the_last_tokens()
    {
        using var temp = new TempFolder();
        // 7 tokens, room for 4: the first 1 and the last 3 (Sun et al.'s head + tail).
        var tokenizer = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 6, HeadTokens = 1 });
        Assert.Equal(Ids("[CLS]", "hello", "is", "cute", "!", "[SEP]"), tokenizer.Encode("hello my dog is cute !").InputIds);
        // A text that fits is not cut; a pair is truncated as HF does.
        Assert.Equal(Ids("[CLS]", "hello", "dog", "[SEP]"), tokenizer.Encode("hello dog").InputIds);
        Assert.Equal(Ids("[CLS]", "hello", "my", "[SEP]", "good", "[SEP]"), tokenizer.Encode("hello my dog", "good movie").InputIds);
        var e = Assert.Throws<ArgumentException>(() => TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 6, HeadTokens = 5 }));
        Assert.Contains("HeadTokens (5) must be between 0 and MaxLength − 2 (4)", e.Message);
    }

    [Fact]
    public void Pairs_get_token_types_and_are_truncated_longest_first()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp);
        var pair = tokenizer.Encode("hello dog", "good movie");
        Assert.Equal(Ids("[CLS]", "hello", "dog", "[SEP]", "good", "movie", "[SEP]"), pair.InputIds);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1], pair.TokenTypeIds);
        Assert.Equal([1, 1, 1, 1, 1, 1, 1], pair.AttentionMask);

        // 5 + 2 tokens + 3 special = 10 > 8: the longer first text loses 2 (HF's longest_first).
        var short8 = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 8 });
        Assert.Equal(Ids("[CLS]", "hello", "my", "dog", "[SEP]", "good", "movie", "[SEP]"), short8.Encode("hello my dog is cute", "good movie").InputIds);
        // Equal lengths: the second text loses the odd token.
        var short6 = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 6 });
        Assert.Equal(Ids("[CLS]", "hello", "dog", "[SEP]", "good", "[SEP]"), short6.Encode("hello dog", "good movie").InputIds);
        Assert.Equal(6, short6.Encode("hello dog is", "good movie bad").Count);
    }

    [Fact]
    public void Padding_to_max_length_fills_pad_ids_and_zero_mask()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 8, Padding = Padding.MaxLength });
        var encoded = tokenizer.Encode("good movie");
        Assert.Equal(Ids("[CLS]", "good", "movie", "[SEP]", "[PAD]", "[PAD]", "[PAD]", "[PAD]"), encoded.InputIds);
        Assert.Equal([1, 1, 1, 1, 0, 0, 0, 0], encoded.AttentionMask);
        Assert.Equal(4, encoded.Length);
        Assert.Equal(8, encoded.Count);
    }

    [Fact]
    public void Examples_encode_with_their_label_and_decode_back()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp);
        var encoded = tokenizer.Encode(new TextExample("Good movie!", 1));
        Assert.Equal(1, encoded.Label);
        Assert.Equal("good movie!", tokenizer.Decode(encoded.InputIds));
        Assert.Equal((0, 2, 3, 1), (tokenizer.PadTokenId, tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.UnkTokenId));
    }

    [Fact]
    public void Tokenizer_folders_round_trip_through_save_and_from_pretrained()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { LowerCase = false, MaxLength = 64 });
        string dir = Path.Combine(temp.Path, "saved");
        tokenizer.SavePretrained(dir);
        var loaded = BertTokenizer.FromPretrained(dir);
        Assert.False(loaded.Options.LowerCase);
        Assert.Equal(64, loaded.Options.MaxLength);
        Assert.Equal(File.ReadAllText(temp.File("vocab.txt")), File.ReadAllText(Path.Combine(dir, "vocab.txt")));
        Assert.Equal(tokenizer.Encode("Hello dog").InputIds, loaded.Encode("Hello dog").InputIds);
    }

    [Fact]
    public void A_vocabulary_without_bert_special_tokens_is_refused()
    {
        using var temp = new TempFolder();
        string path = TinyVocabulary.Write(temp, ["[PAD]", "[UNK]", "hello"]);
        var e = Assert.Throws<InvalidDataException>(() => BertTokenizer.FromVocabulary(path));
        Assert.Contains("[CLS]", e.Message);
        Assert.Throws<FileNotFoundException>(() => BertTokenizer.FromVocabulary(temp.File("none.txt")));
    }
}
