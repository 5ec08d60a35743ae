using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Parsing;

internal static partial class TrainerParser
{
    /// <summary>The attributed methods of a trainer, as far as they are valid.</summary>
    internal sealed class Methods
    {
        public StepModel? TrainStep;
        public IMethodSymbol? TrainStepSymbol;
        public StepModel? EvalStep;
        public IMethodSymbol? EvalStepSymbol;
        public MethodModel? Optimizer;
        public IMethodSymbol? OptimizerSymbol;
        public MethodModel? Scheduler;
        public IMethodSymbol? SchedulerSymbol;
        public readonly List<MetricModel> Metrics = new();
        public readonly List<IMethodSymbol> MetricSymbols = new();
        public readonly List<HookModel> Hooks = new();
        /// <summary>A hook returns neither void nor TrainerControl: DSL030, reported by an analyzer.</summary>
        public bool HookReturnsOtherType;
    }

    /// <summary>The hook attributes, their events and short names; the analyzers read the same table.</summary>
    internal static readonly (string Attribute, HookKind Kind, string EventType, string Short)[] HookAttributes =
    [
        (KnownNames.OnStepEndAttribute, HookKind.StepEnd, KnownNames.StepEndEvent, "OnStepEnd"),
        (KnownNames.OnLogAttribute, HookKind.Log, KnownNames.LogEvent, "OnLog"),
        (KnownNames.OnEvaluateAttribute, HookKind.Evaluate, KnownNames.EvaluateEvent, "OnEvaluate"),
        (KnownNames.OnSaveAttribute, HookKind.Save, KnownNames.SaveEvent, "OnSave"),
        (KnownNames.OnEpochEndAttribute, HookKind.EpochEnd, KnownNames.EpochEndEvent, "OnEpochEnd"),
        (KnownNames.OnTrainEndAttribute, HookKind.TrainEnd, KnownNames.TrainEndEvent, "OnTrainEnd"),
        (KnownNames.OnTrainBeginAttribute, HookKind.TrainBegin, KnownNames.TrainBeginEvent, "OnTrainBegin"),
        (KnownNames.OnEpochBeginAttribute, HookKind.EpochBegin, KnownNames.EpochBeginEvent, "OnEpochBegin"),
        (KnownNames.OnStepBeginAttribute, HookKind.StepBegin, KnownNames.StepBeginEvent, "OnStepBegin"),
        (KnownNames.OnSubstepEndAttribute, HookKind.SubstepEnd, KnownNames.SubstepEndEvent, "OnSubstepEnd"),
        (KnownNames.OnPreOptimizerStepAttribute, HookKind.PreOptimizerStep, KnownNames.PreOptimizerStepEvent, "OnPreOptimizerStep"),
        (KnownNames.OnOptimizerStepAttribute, HookKind.OptimizerStep, KnownNames.OptimizerStepEvent, "OnOptimizerStep"),
        (KnownNames.OnPredictionStepAttribute, HookKind.PredictionStep, KnownNames.PredictionStepEvent, "OnPredictionStep"),
    ];

    internal static Methods ReadMethods(INamedTypeSymbol type, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var methods = new Methods();
        foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
        {
            ct.ThrowIfCancellationRequested();
            if (method.MethodKind != MethodKind.Ordinary) continue;
            foreach (var attribute in method.GetAttributes())
            {
                string? name = attribute.AttributeClass?.ToDisplayString();
                switch (name)
                {
                    case KnownNames.TrainStepAttribute:
                        ReadStep(method, "TrainStep", known, diagnostics, ref methods.TrainStep, ref methods.TrainStepSymbol);
                        break;
                    case KnownNames.EvalStepAttribute:
                        ReadStep(method, "EvalStep", known, diagnostics, ref methods.EvalStep, ref methods.EvalStepSymbol);
                        break;
                    case KnownNames.OptimizerAttribute:
                        if (Duplicate(methods.OptimizerSymbol, method, "Optimizer", diagnostics)) break;
                        methods.OptimizerSymbol = method;
                        if (MayReturnNull(method))
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidOptimizerSignature, method, method.Name, NullableReturn(method)));
                        else if (IsPlainInstance(method) && method.Parameters.Length == 0 && KnownTypes.IsOrDerivesFrom(method.ReturnType, known.Optimizer))
                            methods.Optimizer = new MethodModel(method.Name);
                        else
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidOptimizerSignature, method, method.Name,
                                WhatIsWrong(method, [], KnownTypes.IsOrDerivesFrom(method.ReturnType, known.Optimizer), "an Optimizer")));
                        break;
                    case KnownNames.SchedulerAttribute:
                        if (Duplicate(methods.SchedulerSymbol, method, "Scheduler", diagnostics)) break;
                        methods.SchedulerSymbol = method;
                        if (ByRefParameter(method) is { } schedulerByRef)
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSchedulerSignature, schedulerByRef.Locations.FirstOrDefault(),
                                method.Name, ByRefReason(schedulerByRef)));
                        else if (MayReturnNull(method))
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSchedulerSignature, method, method.Name, NullableReturn(method)));
                        else if (IsPlainInstance(method) && method.Parameters.Length == 2
                            && KnownTypes.IsOrDerivesFrom(method.Parameters[0].Type, known.Optimizer)
                            && method.Parameters[1].Type.SpecialType == SpecialType.System_Int32
                            && KnownTypes.IsOrDerivesFrom(method.ReturnType, known.LRScheduler))
                            methods.Scheduler = new MethodModel(method.Name);
                        else
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSchedulerSignature, method, method.Name,
                                WhatIsWrong(method,
                                    [("Optimizer optimizer", t => KnownTypes.IsOrDerivesFrom(t, known.Optimizer)), ("int trainingSteps", t => t.SpecialType == SpecialType.System_Int32)],
                                    KnownTypes.IsOrDerivesFrom(method.ReturnType, known.LRScheduler), "an LRScheduler")));
                        break;
                    case KnownNames.MetricAttribute:
                        ReadMetric(method, attribute, known, diagnostics, methods);
                        break;
                    default:
                        foreach (var hook in HookAttributes)
                            if (name == hook.Attribute) ReadHook(method, hook, known, diagnostics, methods);
                        break;
                }
            }
        }
        return methods;
    }

    private static void ReadStep(IMethodSymbol method, string attribute, KnownTypes known, List<DiagnosticInfo> diagnostics,
        ref StepModel? step, ref IMethodSymbol? symbol)
    {
        if (Duplicate(symbol, method, attribute, diagnostics)) return;
        symbol = method;
        if (method.IsAsync || known.IsTaskLike(method.ReturnType))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AsyncHook, method, attribute, method.Name));
            return;
        }
        if (MayReturnNull(method))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStepSignature, method, attribute, method.Name, NullableReturn(method)));
            return;
        }
        bool returnsTensor = KnownTypes.Is(method.ReturnType, known.Tensor);
        bool returnsOutput = KnownTypes.Is(method.ReturnType, known.StepOutput);
        if (!IsPlainInstance(method) || method.Parameters.Length != 1 || method.Parameters[0].RefKind != RefKind.None
            || !(returnsTensor || returnsOutput))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStepSignature, method, attribute, method.Name,
                method.Parameters.Length == 1 && method.Parameters[0].RefKind == RefKind.In && IsPlainInstance(method)
                    ? $": its parameter '{method.Parameters[0].Name}' is 'in'; take the batch by value (drop 'in')"
                    : WhatIsWrong(method, [("TBatch batch", _ => true)], returnsTensor || returnsOutput, "the loss as Tensor, or StepOutput")));
            return;
        }
        var batch = method.Parameters[0].Type;
        var example = known.ExampleTypeOf(batch);
        if (example is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotABatchType, method.Parameters[0].Locations.FirstOrDefault(),
                Display(batch), attribute, method.Name, BatchHint(batch)));
            return;
        }
        step = new StepModel(method.Name, FullyQualified(batch), FullyQualified(example), returnsOutput);
    }

    private static void ReadMetric(IMethodSymbol method, AttributeData attribute, KnownTypes known, List<DiagnosticInfo> diagnostics, Methods methods)
    {
        if (ByRefParameter(method) is { } byRef)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidMetricSignature, byRef.Locations.FirstOrDefault(), method.Name, ByRefReason(byRef)));
            return;
        }
        bool valid = IsPlainInstance(method) && method.Parameters.Length == 2
            && KnownTypes.Is(method.Parameters[0].Type, known.Tensor) && KnownTypes.Is(method.Parameters[1].Type, known.Tensor)
            && method.ReturnType.SpecialType is SpecialType.System_Double or SpecialType.System_Single;
        if (!valid)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidMetricSignature, method, method.Name,
                WhatIsWrong(method, [("Tensor predictions", t => KnownTypes.Is(t, known.Tensor)), ("Tensor labels", t => KnownTypes.Is(t, known.Tensor))],
                    method.ReturnType.SpecialType is SpecialType.System_Double or SpecialType.System_Single, "a double")));
            return;
        }
        string key = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string given
            ? given
            : SnakeCase(method.Name);
        if (key.StartsWith("eval_", System.StringComparison.Ordinal)) key = key.Substring(5);
        int clash = methods.Metrics.FindIndex(m => m.Key == key);
        if (clash >= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateMetricName, method, methods.Metrics[clash].MethodName, method.Name, key));
            return;
        }
        methods.Metrics.Add(new MetricModel(key, method.Name));
        methods.MetricSymbols.Add(method);
    }

    private static void ReadHook(IMethodSymbol method, (string Attribute, HookKind Kind, string EventType, string Short) hook,
        KnownTypes known, List<DiagnosticInfo> diagnostics, Methods methods)
    {
        if (method.IsAsync || known.IsTaskLike(method.ReturnType))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AsyncHook, method, hook.Short, method.Name));
            return;
        }
        string eventName = Article(hook.EventType.Substring("Dsl.".Length));
        bool returnsVoid = method.ReturnsVoid;
        bool returnsControl = KnownTypes.Is(method.ReturnType, known.TrainerControl);
        bool takesEvent = method.Parameters.Length == 1 && method.Parameters[0].RefKind is RefKind.None or RefKind.In
            && method.Parameters[0].Type.ToDisplayString() == hook.EventType;
        bool badShape = !IsPlainInstance(method) || !(method.Parameters.Length == 0 || takesEvent);
        if (ByRefParameter(method) is { } byRef)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHookSignature, byRef.Locations.FirstOrDefault(),
                hook.Short, method.Name, eventName, ByRefReason(byRef)));
        else if (badShape)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHookSignature, method, hook.Short, method.Name, eventName,
                method.Parameters.Length == 1 && IsPlainInstance(method)
                    ? $": its parameter '{method.Parameters[0].Name}' is '{Display(method.Parameters[0].Type)}'; take {eventName} (or nothing)"
                    : WhatIsWrong(method, [(hook.EventType.Substring("Dsl.".Length) + " e", _ => true)], true, "")));
        bool badReturn = !(returnsVoid || returnsControl);
        if (badReturn) methods.HookReturnsOtherType = true;
        if (badShape || badReturn) return;
        methods.Hooks.Add(new HookModel(hook.Kind, method.Name, takesEvent, returnsControl));
    }

    private static bool Duplicate(IMethodSymbol? existing, IMethodSymbol method, string attribute, List<DiagnosticInfo> diagnostics)
    {
        if (existing is null) return false;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateMember, method, existing.Name, method.Name, attribute));
        return true;
    }

    /// <summary>
    /// The first parameter the generated call could not pass as a plain value: <c>ref</c>, <c>out</c> and
    /// <c>ref readonly</c> need a variable and a modifier at the call site (CS1620, CS9192 inside *.g.cs), so they are
    /// reported on the parameter. <c>in</c> takes a plain value and stays valid.
    /// </summary>
    private static IParameterSymbol? ByRefParameter(IMethodSymbol method) =>
        method.Parameters.FirstOrDefault(p => p.RefKind is RefKind.Ref or RefKind.Out or RefKind.RefReadOnlyParameter);

    private static string ByRefReason(IParameterSymbol parameter)
    {
        string modifier = parameter.RefKind switch
        {
            RefKind.Out => "out",
            RefKind.RefReadOnlyParameter => "ref readonly",
            _ => "ref",
        };
        return $": its parameter '{parameter.Name}' is '{modifier}'; the loop passes a value, so take it by value (drop '{modifier}')";
    }

    /// <summary>
    /// A method whose result the loop needs is declared to return a nullable reference (<c>Optimizer?</c>): the loop
    /// has no fallback for null, and calling it would warn inside generated code, so it is refused on the method.
    /// </summary>
    private static bool MayReturnNull(IMethodSymbol method) =>
        method.ReturnType.IsReferenceType && method.ReturnNullableAnnotation == NullableAnnotation.Annotated;

    private static string NullableReturn(IMethodSymbol method) =>
        $": it returns '{Display(method.ReturnType)}', which may be null, but the loop cannot run without one; return a non-null '{Display(method.ReturnType.WithNullableAnnotation(NullableAnnotation.NotAnnotated))}' and throw if none can be made";

    /// <summary>DSL016's advice: a tuple (or another type the user cannot extend) needs a batch type of its own.</summary>
    private static string BatchHint(ITypeSymbol batch)
    {
        if (batch is INamedTypeSymbol { IsTupleType: true } tuple)
        {
            string properties = string.Join("; ", tuple.TupleElements.Select((e, i) =>
                $"public {Display(e.Type)} {(!SymbolEqualityComparer.Default.Equals(e.CorrespondingTupleField, e) ? char.ToUpperInvariant(e.Name[0]) + e.Name.Substring(1) : "Item" + (i + 1))} {{ get; init; }}"));
            return $"; a tuple cannot implement it: declare a batch type holding its parts, e.g. 'sealed class MyBatch : IBatch<MyBatch, MyExample> {{ {properties}; public static MyBatch Collate(ReadOnlySpan<MyExample> examples, Device device) => ...; public void Dispose() {{ ... }} }}'";
        }
        if (batch.Locations.All(l => !l.IsInSource))
            return $"; '{Display(batch)}' is not yours to change: declare a batch type that holds it and implements IBatch";
        return $"; add ': IBatch<{Display(batch)}, TExample>' and its static Collate";
    }

    /// <summary>"a LogEvent", "an EpochEndEvent".</summary>
    internal static string Article(string noun) => ("AEIOU".IndexOf(noun[0]) >= 0 ? "an " : "a ") + noun;

    /// <summary>
    /// Which part of a signature is wrong, as the message's tail: static, generic, abstract, the parameter count,
    /// a parameter's type, or the return type, with what to do. <paramref name="parameters"/> are the expected ones
    /// (as written in the message, and a check of the type); by-ref parameters are reported before this is asked.
    /// </summary>
    internal static string WhatIsWrong(IMethodSymbol method, (string Shown, System.Func<ITypeSymbol, bool> Fits)[] parameters,
        bool returnFits, string expectedReturn)
    {
        if (method.IsStatic) return ": it is static; remove 'static' (the loop calls it on the trainer)";
        if (method.IsGenericMethod)
            return $": it is generic (<{string.Join(", ", method.TypeParameters.Select(t => t.Name))}>); remove the type parameters, the loop cannot choose them";
        if (method.IsAbstract) return ": it is abstract; the loop needs its body (override it in the trainer)";
        if (method.Parameters.Length != parameters.Length)
        {
            string expected = parameters.Length == 0 ? "no parameters" : "(" + string.Join(", ", parameters.Select(p => p.Shown)) + ")";
            string actual = method.Parameters.Length == 0 ? "none" : "(" + string.Join(", ", method.Parameters.Select(p => Display(p.Type) + " " + p.Name)) + ")";
            return $": it takes {(method.Parameters.Length == 1 ? "1 parameter" : method.Parameters.Length + " parameters")} {actual}; take {expected}";
        }
        for (int i = 0; i < parameters.Length; i++)
        {
            var parameter = method.Parameters[i];
            if (parameter.RefKind is RefKind.Ref or RefKind.Out or RefKind.RefReadOnlyParameter)
                return ByRefReason(parameter);
            if (!parameters[i].Fits(parameter.Type))
                return $": its parameter '{parameter.Name}' is '{Display(parameter.Type)}'; take '{parameters[i].Shown}'";
        }
        if (!returnFits)
            return $": it returns '{(method.ReturnsVoid ? "void" : Display(method.ReturnType))}'; return {expectedReturn}";
        return "";
    }

    private static bool IsPlainInstance(IMethodSymbol method) =>
        !method.IsStatic && !method.IsGenericMethod && !method.IsAbstract;

    /// <summary>DSL017: metrics need logits, so the step that evaluates (the [EvalStep], else the [TrainStep]) must return StepOutput.</summary>
    internal static void CheckMetricsHaveLogits(Methods methods, List<DiagnosticInfo> diagnostics)
    {
        if (methods.TrainStep is not { } step || methods.Metrics.Count == 0) return;
        var evaluationStep = methods.EvalStep ?? step;
        if (!evaluationStep.ReturnsStepOutput)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MetricsWithoutLogits, methods.MetricSymbols[0],
                methods.Metrics[0].MethodName, evaluationStep.MethodName));
    }

    internal static void CheckSchedulerTakesOptimizer(Methods methods, KnownTypes known, List<DiagnosticInfo> diagnostics)
    {
        if (methods.Scheduler is null || methods.SchedulerSymbol is null) return;
        var parameter = methods.SchedulerSymbol.Parameters[0].Type;
        var produced = methods.Optimizer is not null ? methods.OptimizerSymbol!.ReturnType : known.Optimizer;
        if (produced is null || KnownTypes.IsOrDerivesFrom(produced, parameter as INamedTypeSymbol)) return;
        methods.Scheduler = null;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSchedulerSignature, methods.SchedulerSymbol, methods.SchedulerSymbol.Name,
            $": its first parameter is {Display(parameter)}, but the optimizer it receives is {Display(produced)}"));
    }

    /// <summary><c>Accuracy</c> → <c>accuracy</c>, <c>F1Score</c> → <c>f1_score</c>, <c>ROCAuc</c> → <c>roc_auc</c>.</summary>
    internal static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool afterLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                bool endsAcronym = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if ((afterLowerOrDigit || endsAcronym) && sb.Length > 0 && sb[sb.Length - 1] != '_') sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
