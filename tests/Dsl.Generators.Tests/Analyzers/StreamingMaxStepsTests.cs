using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>
/// DSL046: a stream passed to Train by a trainer whose constant arguments leave MaxSteps at -1 (HF's
/// run-time "args.max_steps must be set to a positive value if dataloader does not have a length").
/// </summary>
public sealed class StreamingMaxStepsTests
{
    private const string Trainer = """
        [Trainer]
        public partial class Streamer(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }

        """;

    private static void Verify(string runs) => Markup.Verify(Sources.Trainer(Trainer + runs), Sources.Common);

    [Fact]
    public void DSL046_a_stream_without_MaxSteps_is_reported_at_the_data() => Verify("""
        public static class Runs
        {
            public static void Direct(Net model, System.Collections.Generic.IEnumerable<Example> stream) =>
                new Streamer(model, new TrainingArguments { NumTrainEpochs = 2 }).Train({|DSL046:stream|});

            public static void ThroughLocals(Net model, System.Collections.Generic.IEnumerable<Example> stream)
            {
                var args = new TrainingArguments { MaxSteps = -1 };
                var trainer = new Streamer(model, args);
                trainer.Train({|DSL046:stream|}, resumeFromCheckpoint: "last");
            }

            public static void Yielded(Net model) =>
                new Streamer(model, new TrainingArguments()).Train({|DSL046:Read()|});

            private static System.Collections.Generic.IEnumerable<Example> Read() { yield break; }
        }
        """);

    [Fact]
    public void DSL046_is_silent_with_MaxSteps_a_list_or_what_it_cannot_see() => Verify("""
        public static class Runs
        {
            public static void Fine(Net model, System.Collections.Generic.IEnumerable<Example> stream,
                System.Collections.Generic.List<Example> list, TrainingArguments given, Streamer made, int steps)
            {
                new Streamer(model, new TrainingArguments { MaxSteps = 100 }).Train(stream);
                new Streamer(model, new TrainingArguments()).Train(list);
                new Streamer(model, new TrainingArguments()).Train(list.ToArray());
                new Streamer(model, given).Train(stream);
                new Streamer(model, given with { NumTrainEpochs = 2 }).Train(stream);
                new Streamer(model, new TrainingArguments { MaxSteps = steps }).Train(stream);
                made.Train(stream);
                var reassigned = new Streamer(model, new TrainingArguments());
                reassigned = made;
                reassigned.Train(stream);
            }
        }
        """);
}
