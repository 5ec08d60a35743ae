using Dsl;
using Quickstart;
using TorchSharp;

// A seeded two-class problem the example makes itself: 2,000 training and 500 test points.
var train = TwoMoons.Generate(2000, seed: 1);
var test = TwoMoons.Generate(500, seed: 2);

var arguments = new TrainingArguments
{
    OutputDir = Path.Combine("results", "quickstart"),
    NumTrainEpochs = 3,
    PerDeviceTrainBatchSize = 32,
    PerDeviceEvalBatchSize = 128,
    LearningRate = 0.1,
    LoggingSteps = 20,
    EvalStrategy = IntervalStrategy.Epoch,
    SaveStrategy = SaveStrategy.Epoch,
    SaveTotalLimit = 2,
    Seed = 42,
    ReportTo = ["console"],
};

torch.manual_seed(arguments.Seed);
var trainer = new MoonsTrainer(new MoonsClassifier(), arguments);
var output = trainer.Train(train, test);
Console.WriteLine("Training is Done");
Console.WriteLine(output);

// Evaluate prints HF's dictionary through the console log; the result is also yours to use.
var metrics = trainer.Evaluate(test);
Console.WriteLine($"Test accuracy: {metrics.Metric("accuracy"):P1}");
