namespace Dsl.Generators.Model;

// The generator's model: values only (strings, bools, records, EquatableArray), never a symbol,
// syntax node, location or compilation, so Roslyn caches it between keystrokes.

/// <summary>Everything the emitter needs to write one trainer's loop.</summary>
/// <param name="EntryAccessibility">The keyword of Train/Evaluate/Predict: <c>public</c>, or narrower when the example type is.</param>
/// <param name="HasHookState">The class implements <c>Dsl.IHookState</c>: its hooks' state goes into checkpoints.</param>
internal sealed record TrainerModel(
    string? Namespace,
    string TypeName,
    EquatableArray<ContainingType> ContainingTypes,
    MemberModel Model,
    MemberModel Arguments,
    StepModel TrainStep,
    StepModel? EvalStep,
    MethodModel? Optimizer,
    MethodModel? Scheduler,
    EquatableArray<MetricModel> Metrics,
    EquatableArray<HookModel> Hooks,
    string EntryAccessibility = "public",
    bool HasHookState = false)
{
    /// <summary>The full name, e.g. <c>Demo.Outer.ImdbTrainer</c>.</summary>
    public string FullName
    {
        get
        {
            string prefix = Namespace is null ? "" : Namespace + ".";
            foreach (var type in ContainingTypes) prefix += type.Name + ".";
            return prefix + TypeName;
        }
    }

    /// <summary>The hint name: <c>{Namespace}.{Type}.Trainer.g.cs</c>.</summary>
    public string HintName => FileName(FullName) + ".Trainer.g.cs";

    /// <summary>A full name as a file name: a containing type's parameter list <c>&lt;T&gt;</c> becomes <c>{T}</c>.</summary>
    public static string FileName(string fullName) => fullName.Replace('<', '{').Replace('>', '}').Replace(" ", "");

    /// <summary>Whether any step returns logits the metrics and Predict can use.</summary>
    public bool EvaluationStepReturnsOutput => (EvalStep ?? TrainStep).ReturnsStepOutput;
}

/// <summary>A type the trainer is nested in.</summary>
/// <param name="Keyword"><c>class</c>, <c>struct</c>, <c>record</c>, <c>record struct</c> or <c>interface</c>.</param>
/// <param name="Name">The name with its type parameter list, e.g. <c>Outer&lt;T&gt;</c>.</param>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>The model or arguments member.</summary>
/// <param name="Name">The member's name.</param>
/// <param name="Type">Its type, <c>global::</c>-qualified.</param>
/// <param name="IsPrimaryParameter">A primary-constructor parameter (used without <c>this.</c>).</param>
/// <param name="Field">
/// For a primary-constructor parameter that is also passed to the base class and not otherwise captured by the
/// class: the generated field initialized from it, which the loop reads instead, so that the parameter is not
/// captured besides being passed on (CS9107). Null otherwise.
/// </param>
internal sealed record MemberModel(string Name, string Type, bool IsPrimaryParameter, string? Field = null)
{
    public string Access => Field is not null ? "this." + Field : IsPrimaryParameter ? Name : "this." + Name;
}

/// <summary>A <c>[TrainStep]</c> or <c>[EvalStep]</c>.</summary>
internal sealed record StepModel(string MethodName, string BatchType, string ExampleType, bool ReturnsStepOutput);

/// <summary>An <c>[Optimizer]</c> or <c>[Scheduler]</c> method.</summary>
internal sealed record MethodModel(string MethodName);

/// <summary>A <c>[Metric]</c>: reported as <c>eval_{Key}</c>.</summary>
internal sealed record MetricModel(string Key, string MethodName);

/// <summary>The hook kinds: those of HF's step end in its order, then the rest (their place is in the emitter).</summary>
internal enum HookKind
{
    StepEnd, Log, Evaluate, Save, EpochEnd, TrainEnd,
    TrainBegin, EpochBegin, StepBegin, SubstepEnd, PreOptimizerStep, OptimizerStep, PredictionStep,
}

/// <summary>A lifecycle hook.</summary>
/// <param name="Kind">Which event.</param>
/// <param name="MethodName">The method.</param>
/// <param name="TakesEvent">Whether it takes the event argument.</param>
/// <param name="ReturnsControl">Whether it returns <c>TrainerControl</c>.</param>
internal sealed record HookModel(HookKind Kind, string MethodName, bool TakesEvent, bool ReturnsControl);
