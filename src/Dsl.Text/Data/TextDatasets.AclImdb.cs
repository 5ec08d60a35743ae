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
            foreach (string file in files) examples.Add(new TextExample(File.ReadAllText(file), label));
        }
    }

    private static long ReviewId(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        int underscore = name.IndexOf('_');
        return long.TryParse(underscore < 0 ? name : name[..underscore], out long id) ? id : long.MaxValue;
    }
}
