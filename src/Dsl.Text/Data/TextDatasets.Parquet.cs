using Parquet;
using Parquet.Schema;

namespace Dsl.Text.Data;

public static partial class TextDatasets
{
    /// <summary>
    /// Reads a Parquet file as HF exports datasets (<c>text</c>: string, <c>label</c>: integer), every row group in order.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetFormatException">The file is not Parquet, a column is missing or of the wrong type, a value is null, a label is out of range, or there are no rows.</exception>
    public static TextDataset<TextExample> LoadParquet(string path, TextColumns? columns = null)
    {
        RequireFile(path);
        columns ??= TextColumns.Default;
        // Some damaged metadata (found by the dataset fuzzer: one changed byte in a footer) makes Parquet.Net loop for
        // minutes or more. The read is given a time bound by the file's size; past it, the file is refused as damaged
        // (the library's loop cannot be stopped and is left to end on its own).
        var reading = Task.Run(() => LoadParquetAsync(path, columns));
        var limit = ParquetReadLimit + TimeSpan.FromSeconds(new FileInfo(path).Length / 10e6);
        if (!((IAsyncResult)reading).AsyncWaitHandle.WaitOne(limit))   // (Wait would throw a failure as an AggregateException)
            throw new DatasetFormatException(path, null, null,
                $"Parquet.Net did not finish reading the file within {limit.TotalSeconds:0} s; its metadata is probably damaged (the library " +
                "loops on some damaged footers). Export the file again.");
        return reading.GetAwaiter().GetResult();
    }

    /// <summary>The time a Parquet read may take beyond 1 s per 10 MB of file (tests shorten it).</summary>
    internal static TimeSpan ParquetReadLimit { get; set; } = TimeSpan.FromSeconds(60);

    // A damaged file can make Parquet.Net fail in many ways (an index out of range, a Thrift error, a bad cast): any of
    // them is this file's problem, named as such, never an exception from deep inside the library.
    private static async Task<TextDataset<TextExample>> LoadParquetAsync(string path, TextColumns columns)
    {
        try
        {
            return await ReadParquetAsync(path, columns).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (DatasetFormatException or OutOfMemoryException or OperationCanceledException))
        {
            throw new DatasetFormatException(path, null, null, $"not a readable Parquet file ({e.GetType().Name}: {e.Message}); the file is damaged.", e);
        }
    }

    private static async Task<TextDataset<TextExample>> ReadParquetAsync(string path, TextColumns columns)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(path).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new DatasetFormatException(path, null, null, $"not a Parquet file ({e.Message}).", e);
        }
        await using (reader.ConfigureAwait(false))
        {
            var fields = reader.Schema.DataFields;
            DataField Field(string name, Func<Type, bool> fits, string expected)
            {
                var field = fields.FirstOrDefault(f => f.Name == name)
                    ?? throw new DatasetFormatException(path, null, name,
                        $"no such column; the file has {string.Join(", ", fields.Select(f => $"'{f.Name}'"))}.");
                if (field.IsArray || !fits(field.ClrType))
                    throw new DatasetFormatException(path, null, name, $"the column holds {field.ClrType.Name}{(field.IsArray ? "[]" : "")}, expected {expected}.");
                return field;
            }
            var text = Field(columns.Text, IsText, "strings");
            var pair = columns.TextPair is null ? null : Field(columns.TextPair, IsText, "strings");
            var label = columns.Label is null ? null : Field(columns.Label, IsInteger, "integers");

            var examples = new List<TextExample>();
            long rowBase = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                // Checked before anything is allocated for them: a damaged count could ask for any amount of memory.
                long limit = Math.Max(1 << 20, 64 * new FileInfo(path).Length);
                if (group.RowCount < 0 || group.RowCount > limit)
                    throw new DatasetFormatException(path, null, null,
                        $"row group {g} claims {group.RowCount} rows, more than a file of {new FileInfo(path).Length} bytes can hold; the file is damaged.");
                int rows = (int)group.RowCount;
                var texts = await Strings(group, text, rows).ConfigureAwait(false);
                var pairs = pair is null ? null : await Strings(group, pair, rows).ConfigureAwait(false);
                var labels = label is null ? null : await Integers(group, label, rows).ConfigureAwait(false);
                for (int i = 0; i < rows; i++)
                {
                    long row = rowBase + i + 1;
                    string body = texts[i] ?? throw new DatasetFormatException(path, row, text.Name, "null text.");
                    string? second = pairs is null ? null : pairs[i] ?? throw new DatasetFormatException(path, row, pair!.Name, "null text.");
                    int? id = labels is null ? null
                        : labels[i] is long l ? columns.CheckLabel(l, path, row)
                        : throw new DatasetFormatException(path, row, label!.Name, "null label.");
                    examples.Add(new TextExample(body, id, second));
                }
                rowBase += rows;
            }
            return NonEmpty(examples, path);
        }
    }

    // Parquet.Net 6 describes UTF-8 columns as ReadOnlyMemory<char>; they read as strings.
    private static bool IsText(Type t) => t == typeof(string) || t == typeof(ReadOnlyMemory<char>);

    private static bool IsInteger(Type t) =>
        t == typeof(long) || t == typeof(int) || t == typeof(short) || t == typeof(sbyte)
        || t == typeof(ulong) || t == typeof(uint) || t == typeof(ushort) || t == typeof(byte);

    private static async Task<string?[]> Strings(ParquetRowGroupReader group, DataField field, int rows)
    {
        var values = new string?[rows];
        await group.ReadAsync(field, values.AsMemory()!).ConfigureAwait(false);
        return values;
    }

    private static async Task<long?[]> Integers(ParquetRowGroupReader group, DataField field, int rows)
    {
        var result = new long?[rows];
        if (field.ClrType == typeof(long)) await Read<long>(l => l).ConfigureAwait(false);
        else if (field.ClrType == typeof(int)) await Read<int>(v => v).ConfigureAwait(false);
        else if (field.ClrType == typeof(short)) await Read<short>(v => v).ConfigureAwait(false);
        else if (field.ClrType == typeof(sbyte)) await Read<sbyte>(v => v).ConfigureAwait(false);
        else if (field.ClrType == typeof(byte)) await Read<byte>(v => v).ConfigureAwait(false);
        else if (field.ClrType == typeof(ushort)) await Read<ushort>(v => v).ConfigureAwait(false);
        else if (field.ClrType == typeof(uint)) await Read<uint>(v => v).ConfigureAwait(false);
        else await Read<ulong>(v => v > long.MaxValue ? long.MaxValue : (long)v).ConfigureAwait(false);
        return result;

        async Task Read<T>(Func<T, long> widen) where T : struct
        {
            if (field.IsNullable)
            {
                var values = new T?[rows];
                await group.ReadAsync(field, values.AsMemory()).ConfigureAwait(false);
                for (int i = 0; i < rows; i++) result[i] = values[i] is T v ? widen(v) : null;
            }
            else
            {
                var values = new T[rows];
                await group.ReadAsync(field, values.AsMemory()).ConfigureAwait(false);
                for (int i = 0; i < rows; i++) result[i] = widen(values[i]);
            }
        }
    }
}
