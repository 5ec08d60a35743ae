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
}
