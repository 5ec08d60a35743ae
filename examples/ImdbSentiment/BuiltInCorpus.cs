using Dsl.Text.Data;

namespace ImdbSentiment;

/// <summary>
/// A small movie-review corpus the example writes itself from seeded templates, so the first run
/// needs no download. It has what makes sentiment more than word counting: negation ("not bad at
/// all" is positive) and contrast ("a great cast wasted on a dull plot" is negative: the clause after
/// the turn decides).
/// </summary>
public static class BuiltInCorpus
{
    private static readonly string[] Good =
        ["good", "great", "wonderful", "brilliant", "moving", "funny", "gripping", "charming", "superb", "clever", "beautiful", "fresh"];
    private static readonly string[] Bad =
        ["bad", "dull", "boring", "awful", "clumsy", "tedious", "predictable", "weak", "messy", "lifeless", "silly", "flat"];
    private static readonly string[] Things =
        ["film", "movie", "plot", "script", "cast", "ending", "story", "performance", "soundtrack", "direction", "dialogue", "pacing"];
    private static readonly string[] Openers = ["", "honestly ", "overall ", "to be fair ", "in the end "];

    /// <summary><paramref name="count"/> labelled sentences (1: positive, 0: negative), half of each, from <paramref name="seed"/>.</summary>
    public static List<TextExample> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var examples = new List<TextExample>(count);
        for (int i = 0; i < count; i++)
        {
            bool positive = i % 2 == 0;
            examples.Add(new TextExample(Sentence(random, positive), positive ? 1 : 0));
        }
        return examples;
    }

    private static string Sentence(Random r, bool positive)
    {
        string P() => Good[r.Next(Good.Length)];
        string N() => Bad[r.Next(Bad.Length)];
        string T() => Things[r.Next(Things.Length)];
        string opener = Openers[r.Next(Openers.Length)];
        // Each template says the same thing either way round: (sentence if positive, sentence if negative).
        (string Positive, string Negative) template = r.Next(8) switch
        {
            0 => ($"a {P()} {T()}", $"a {N()} {T()}"),
            1 => ($"the {T()} was {P()} and {P()}", $"the {T()} was {N()} and {N()}"),
            2 => ($"not {N()} at all", $"not {P()} at all"),
            3 => ($"the {T()} is not {N()}", $"the {T()} is not {P()}"),
            4 => ($"a {N()} {T()} but a {P()} {T()}", $"a {P()} {T()} wasted on a {N()} {T()}"),
            5 => ($"i expected a {N()} {T()} yet it was {P()}", $"i expected a {P()} {T()} yet it was {N()}"),
            6 => ($"never {N()} , always {P()}", $"never {P()} , always {N()}"),
            _ => ($"the {T()} could have been {N()} but it is {P()}", $"the {T()} could have been {P()} but it is {N()}"),
        };
        return opener + (positive ? template.Positive : template.Negative);
    }

    /// <summary>
    /// A WordPiece vocabulary for the corpus: BERT's special tokens, then every word it uses, so no
    /// token is unknown. Written to <paramref name="path"/> as <c>vocab.txt</c> (one token per line).
    /// </summary>
    public static string WriteVocabulary(string path)
    {
        var words = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var list in new[] { Good, Bad, Things })
            foreach (var word in list) words.Add(word);
        foreach (string opener in Openers)
            foreach (string word in opener.Split(' ', StringSplitOptions.RemoveEmptyEntries)) words.Add(word);
        foreach (string word in "a the was and not at all is but wasted on i expected yet it never , always could have been".Split(' '))
            words.Add(word);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Written aside and renamed, so a second process (a rank under mpirun) never reads half a file.
        string temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllLines(temp, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. words]);
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
