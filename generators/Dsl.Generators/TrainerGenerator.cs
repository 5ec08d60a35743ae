using System.Collections.Immutable;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Emitting;
using Dsl.Generators.Model;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators;

/// <summary>Writes the training loop of every <c>[Trainer]</c> class: parse → equatable model → emit.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class TrainerGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline's steps, for incrementality tests.</summary>
    public static class StepNames
    {
        public const string Parse = "Dsl.Parse";
        public const string Model = "Dsl.Model";
        public const string Diagnostics = "Dsl.Diagnostics";
        public const string Declined = "Dsl.Declined";
        public const string Startup = "Dsl.Startup";
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var trainers = context.SyntaxProvider
            .ForAttributeWithMetadataName(KnownNames.TrainerAttribute, TrainerParser.IsCandidate, TrainerParser.Parse)
            .WithTrackingName(StepNames.Parse);

        var models = trainers
            .Select(static (result, _) => result.Model)
            .WithTrackingName(StepNames.Model);
        context.RegisterSourceOutput(models, static (spc, model) =>
        {
            if (model is not null) LoopEmitter.Emit(spc, model);
        });

        // One module initializer per assembly with a generated loop, unless the build turns it off: libtorch's
        // threading and MKL settings must be in place before libtorch loads, usually before a trainer is touched.
        var startupEnabled = context.AnalyzerConfigOptionsProvider.Select(static (options, _) => StartupEmitter.Enabled(options));
        var anyLoop = models
            .Collect()
            .Select(static (all, _) => all.Any(static model => model is not null))
            .Combine(startupEnabled)
            .Select(static (found, _) => found.Left && found.Right)
            .WithTrackingName(StepNames.Startup);
        context.RegisterSourceOutput(anyLoop, static (spc, any) =>
        {
            if (any) StartupEmitter.Emit(spc);
        });

        // A trainer with an error in its declaration still gets its public members, as stubs, so that its
        // call sites compile and the error on the declaration is the only one (see StubEmitter).
        var declined = trainers
            .Select(static (result, _) => result.Declined)
            .WithTrackingName(StepNames.Declined);
        context.RegisterSourceOutput(declined, static (spc, trainer) =>
        {
            if (trainer is not null) StubEmitter.Emit(spc, trainer);
        });

        // Help links point into the document the build names (DslDiagnosticsHelp; see HelpLinks).
        var helpDocument = context.AnalyzerConfigOptionsProvider.Select(static (options, _) => HelpLinks.Document(options));
        var diagnostics = trainers
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(StepNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics.Combine(helpDocument), static (spc, found) =>
        {
            foreach (var diagnostic in found.Left) spc.ReportDiagnostic(diagnostic.ToDiagnostic(found.Right));
        });
    }
}
