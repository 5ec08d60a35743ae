using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using ICSharpCode.SharpZipLib;
using ICSharpCode.SharpZipLib.GZip;

namespace Dsl.Text.Data;

/// <summary>
/// Reads labelled text into a <see cref="TextDataset{T}"/> of <see cref="TextExample"/>: JSON Lines
/// (also gzipped), CSV/TSV with a header, the original aclImdb folders, and HF's Parquet exports.
/// Bad input throws <see cref="DatasetFormatException"/> naming the file, line and field.
/// </summary>
public static partial class TextDatasets
{
    /// <summary>
    /// Reads <paramref name="path"/> by its extension: <c>.jsonl</c>/<c>.json</c> (and <c>.gz</c>),
    /// <c>.csv</c>, <c>.tsv</c>, <c>.parquet</c>; a folder is read as aclImdb (<paramref name="split"/>: train or test).
    /// </summary>
    public static TextDataset<TextExample> Load(string path, TextColumns? columns = null, string split = "train")
    {
        if (Directory.Exists(path)) return LoadAclImdb(path, split);
        string name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        return Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".jsonl" or ".json" or ".ndjson" => LoadJsonLines(path, columns),
            ".csv" => LoadCsv(path, columns),
            ".tsv" => LoadCsv(path, columns, delimiter: '\t'),
            ".parquet" => LoadParquet(path, columns),
            _ => throw new DatasetFormatException(path, null, null,
                "unknown format; use .jsonl, .jsonl.gz, .csv, .tsv, .parquet, or an aclImdb folder."),
        };
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(path)))
                    ? $"No dataset file at {path}."
                    : $"No dataset file at {path} (its folder does not exist either).", path);
    }

    private static TextDataset<TextExample> NonEmpty(List<TextExample> examples, string source)
    {
        if (examples.Count == 0) throw new DatasetFormatException(source, null, null, "the dataset has no examples.");
        return new TextDataset<TextExample>(examples, source);
    }

    // Gzip is recognised by its magic bytes, whatever the name. SharpZipLib checks every member's
    // CRC and length, so a file cut short (even at a line boundary) fails instead of reading as less data.
    private static Stream OpenDecompressed(string path)
    {
        var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        int read = stream.Read(magic);
        stream.Position = 0;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new DamagedGzipGuard(new GZipInputStream(stream)) : stream;
    }

    // SharpZipLib meets some damaged deflate data (a Huffman table that does not fit) with an IndexOutOfRangeException
    // of its own: any failure of the decompressor is the file's damage, reported as such.
    private sealed class DamagedGzipGuard(Stream inner) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            try { return inner.Read(buffer, offset, count); }
            catch (Exception e) when (e is not (IOException or SharpZipBaseException or OutOfMemoryException))
            {
                throw new InvalidDataException($"the deflate data is invalid ({e.GetType().Name}: {e.Message})", e);
            }
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    // UTF-8 only: a UTF-16 or UTF-32 byte-order mark is not taken as a reason to decode the file another way (it is
    // invalid UTF-8, named with its line, as Python's utf-8 codec does). A UTF-8 one (U+FEFF) is skipped by the readers.
    private static StreamReader OpenText(string path, TextColumns columns)
    {
        Encoding encoding = columns.ReplaceInvalidUtf8 ? new UTF8Encoding(false) : new UTF8Encoding(false, throwOnInvalidBytes: true);
        return new StreamReader(OpenDecompressed(path), encoding, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
    }

    /// <summary>The byte-order mark a UTF-8 file may start with (Python's utf-8-sig skips it).</summary>
    internal const char ByteOrderMark = '\uFEFF';

    /// <summary>
    /// A failure while reading <paramref name="path"/>'s bytes as a <see cref="DatasetFormatException"/>:
    /// invalid UTF-8 (with the line it is on) or a damaged gzip stream; null for anything else.
    /// </summary>
    private static DatasetFormatException? ReadFailure(Exception e, string path, long linesRead, bool crEndsLine) => e switch
    {
        DecoderFallbackException => new DatasetFormatException(path, FirstInvalidUtf8Line(path, crEndsLine), null,
            "invalid UTF-8; fix the file's encoding, or set TextColumns.ReplaceInvalidUtf8 to read it with U+FFFD.", e),
        SharpZipBaseException or EndOfStreamException or InvalidDataException => Damaged(e, path, linesRead),
        _ => null,
    };

    private static DatasetFormatException Damaged(Exception e, string path, long linesRead) => new(path, linesRead + 1, null,
        $"the file is damaged: its gzip data ends early or fails its checksum ({e.Message}); download or copy it again.", e);

    // The decoder fails on a whole buffer, so the line is found again from the raw bytes, counted as the reader counts
    // them: LF (and CRLF) end a line; so does a lone CR where the reader splits lines as TextReader.ReadLine does (JSON Lines).
    private static long? FirstInvalidUtf8Line(string path, bool crEndsLine)
    {
        try
        {
            using var stream = new BufferedStream(OpenDecompressed(path), 1 << 16);
            var line = new List<byte>();
            long number = 1;
            int b, ahead = -1;
            while ((b = ahead >= 0 ? ahead : stream.ReadByte()) >= 0)
            {
                ahead = -1;
                if (b == '\r' && crEndsLine)
                {
                    int next = stream.ReadByte();
                    if (next != '\n') ahead = next;   // CRLF is one end; a lone CR is one too
                    b = '\n';
                }
                if (b != '\n') { line.Add((byte)b); continue; }
                if (!Utf8.IsValid(CollectionsMarshal.AsSpan(line))) return number;
                line.Clear();
                number++;
            }
            return Utf8.IsValid(CollectionsMarshal.AsSpan(line)) ? null : number;
        }
        catch (Exception e) when (e is IOException or SharpZipBaseException)
        {
            return null;
        }
    }
}
