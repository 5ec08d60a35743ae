using System.ComponentModel;

namespace Dsl.__Internals;

/// <summary>
/// The evaluation data of a <c>Train</c> call: one dataset, or several by name (HF's <c>eval_dataset</c>
/// as a dict), whose keys are logged as <c>eval_{name}_*</c>.
/// </summary>
/// <typeparam name="TExample">The example type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
[Obsolete(Contract.Message, DiagnosticId = Contract.DiagnosticId)]
public sealed class EvaluationSets<TExample>
{
    /// <summary>Checks that at most one of the two is given and that the names are usable.</summary>
    /// <exception cref="ArgumentException">Both are given, the dictionary is empty, or a name is blank.</exception>
    internal EvaluationSets(IReadOnlyList<TExample>? single, IReadOnlyDictionary<string, IReadOnlyList<TExample>>? named)
    {
        if (single is not null && named is not null)
            throw new ArgumentException("Train got both evalDataset and evalDatasets; pass one dataset or a dictionary of named ones.", "evalDatasets");
        if (named is not null) Check(named);
        Single = single;
        Named = named;
    }

    /// <summary>The single evaluation dataset, or null.</summary>
    internal IReadOnlyList<TExample>? Single { get; }

    /// <summary>The named evaluation datasets, or null.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TExample>>? Named { get; }

    /// <summary>Whether there is anything to evaluate on.</summary>
    internal bool Any => Single is not null || Named is not null;

    /// <summary>
    /// HF's <c>evaluate</c> with a dict: each dataset is evaluated with the prefix <c>{prefix}_{name}</c> (each
    /// logged and passed to the <c>[OnEvaluate]</c> hooks on its own), and the result holds every key in order.
    /// </summary>
    public static EvalResult EvaluateEach(IReadOnlyDictionary<string, IReadOnlyList<TExample>> datasets, string prefix,
        Func<IReadOnlyList<TExample>, string, EvalResult> evaluate)
    {
        Check(datasets);
        ArgumentNullException.ThrowIfNull(evaluate);
        var all = new EvalResult(prefix);
        foreach (var (name, dataset) in datasets)
            foreach (var (key, value) in evaluate(dataset, prefix + "_" + name))
                all.Set(key, value);
        return all;
    }

    private static void Check(IReadOnlyDictionary<string, IReadOnlyList<TExample>> named)
    {
        ArgumentNullException.ThrowIfNull(named, "evalDatasets");
        if (named.Count == 0) throw new ArgumentException("evalDatasets is empty; pass at least one named dataset, or null.", "evalDatasets");
        foreach (var (name, dataset) in named)
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new ArgumentException("evalDatasets has a blank name; each name becomes part of the keys eval_{name}_loss, ...", "evalDatasets");
            if (dataset is null) throw new ArgumentException($"evalDatasets['{name}'] is null.", "evalDatasets");
        }
    }
}
