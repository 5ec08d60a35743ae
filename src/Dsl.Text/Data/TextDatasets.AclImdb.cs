namespace Dsl.Text.Data;

public static partial class TextDatasets
{
    /// <summary>
    /// Reads the original Large Movie Review Dataset layout (<c>aclImdb/</c>): <c>{split}/neg/*.txt</c>
    /// (label 0) then <c>{split}/pos/*.txt</c> (label 1), as HF's <c>imdb</c> labels them; files in
    /// the order of their review id. <paramref name="split"/> is <c>train</c> or <c>test</c>;
    /// <c>unsup</c> reads <c>train/unsup</c> without labels.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The split's folders are missing.</exception>
    /// <exception cref="DatasetFormatException">A folder has no reviews.</exception>
    public static TextDataset<TextExample> LoadAclImdb(string root, string split = "train")
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"No aclImdb folder at {root}.");
        var examples = new List<TextExample>();
        if (split == "unsup")
        {
            Read(Path.Combine(root, "train", "unsup"), null);
            return NonEmpty(examples, Path.Combine(root, "train", "unsup"));
        }
        if (split is not ("train" or "test"))
            throw new ArgumentException($"The aclImdb split is 'train', 'test' or 'unsup', not '{split}'.", nameof(split));
        Read(Path.Combine(root, split, "neg"), 0);
        Read(Path.Combine(root, split, "pos"), 1);
        return NonEmpty(examples, Path.Combine(root, split));

        void Read(string folder, int? label)
        {
            if (!Directory.Exists(folder))
                throw new DirectoryNotFoundException(
                    $"No folder {folder}; aclImdb has {split}/neg and {split}/pos with one review per .txt file.");
            var files = Directory.GetFiles(folder, "*.txt");
            if (files.Length == 0) throw new DatasetFormatException(folder, null, null, "the folder has no .txt reviews.");
            // Review files are named {id}_{rating}.txt: order by id as a number, then by name.
            Array.Sort(files, (a, b) =>
            {
                int byId = ReviewId(a).CompareTo(ReviewId(b));
                return byId != 0 ? byId : string.CompareOrdinal(a, b);
            });
            foreach (string file in files) examples.Add(new TextExample(ReadReview(file), label));
        }
    }

    // Strict UTF-8, as the other readers and HF's imdb script read it (a UTF-8 byte-order mark is skipped): invalid bytes
    // are an error naming the file, not a review with U+FFFD in it.
    private static string ReadReview(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        int start = bytes is [0xEF, 0xBB, 0xBF, ..] ? 3 : 0;
        try
        {
            return StrictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new DatasetFormatException(file, null, null, "invalid UTF-8; fix the file's encoding.", e);
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    // The id before '_', digits only (no sign, space or culture's digits); a name without one sorts last.
    private static long ReviewId(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        int underscore = name.IndexOf('_');
        return long.TryParse(underscore < 0 ? name : name[..underscore], System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out long id) ? id : long.MaxValue;
    }
}
