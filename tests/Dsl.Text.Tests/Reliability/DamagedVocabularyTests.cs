using Dsl.Text.Tokenization;

namespace Dsl.Text.Tests.Reliability;

/// <summary>A vocabulary that holds a token twice names the file and both lines (issue 12, defect 9).</summary>
public sealed class DamagedVocabularyTests
{
    [Fact]
    public void A_duplicate_token_names_the_file_and_lines()
    {
        using var temp = new TempFolder();
        string path = temp.Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nfilm\ngood\nfilm\n");
        var error = Assert.Throws<InvalidDataException>(() => BertTokenizer.FromVocabulary(path));
        Assert.Equal($"{path}:8: the token 'film' is already on line 6; every token of a vocabulary must be distinct.", error.Message);
    }

    [Fact]
    public void A_vocabulary_without_a_special_token_names_the_file()
    {
        using var temp = new TempFolder();
        string path = temp.Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[MASK]\nfilm\n");
        Assert.StartsWith(path, Assert.Throws<InvalidDataException>(() => BertTokenizer.FromVocabulary(path)).Message);
    }

    // An empty file is what a reader sees while another process truncates and rewrites it (two ranks writing
    // vocab.txt at once): the message says the file is empty, not that one special token is missing.
    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    public void An_empty_vocabulary_says_it_is_empty(string text)
    {
        using var temp = new TempFolder();
        string path = temp.Write("vocab.txt", text);
        var error = Assert.Throws<InvalidDataException>(() => BertTokenizer.FromVocabulary(path));
        Assert.Equal($"{path}: the vocabulary is empty; it needs one token per line, BERT's special tokens among them.", error.Message);
    }

    [Fact]
    public void A_byte_order_mark_and_crlf_line_ends_are_read_as_file_read_all_lines_reads_them()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "vocab.txt");
        File.WriteAllText(path, "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]\r\nfilm\r\ngood\r\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        var tokenizer = BertTokenizer.FromVocabulary(path);
        Assert.Equal(7, tokenizer.VocabularySize);
        Assert.Equal("[PAD]", tokenizer.IdToToken(0));
        Assert.Equal(["film", "good"], tokenizer.Tokenize("film good"));
    }
}
