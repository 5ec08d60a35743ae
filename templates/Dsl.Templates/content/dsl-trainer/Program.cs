using Dsl;
using MyTrainer;
using TorchSharp;

// A tiny problem the program makes itself: is a point above the line y = x/2? 1,000 points to train on, 200 to test.
var train = Points.Generate(1000, seed: 1);
var test = Points.Generate(200, seed: 2);

var arguments = new TrainingArguments
{
    OutputDir = "results",
    NumTrainEpochs = 3,
    PerDeviceTrainBatchSize = 32,
    PerDeviceEvalBatchSize = 100,
    LearningRate = 0.05,
    LoggingSteps = 10,
    EvalStrategy = IntervalStrategy.Epoch,
    SaveStrategy = SaveStrategy.No,
    Seed = 42,
    ReportTo = ["console"],
};

torch.manual_seed(arguments.Seed);
var trainer = new PointTrainer(new PointClassifier(), arguments);
trainer.Train(train, test);        // generated from PointTrainer's members
var metrics = trainer.Evaluate(test);
Console.WriteLine($"Test accuracy: {metrics.Metric("accuracy"):0.000}");
