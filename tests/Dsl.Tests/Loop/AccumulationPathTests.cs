using Dsl.Tests.Support;

namespace Dsl.Tests.Loop;

/// <summary>
/// On the CPU the running loss and clipping take a host path (no wait to avoid there); on an
/// accelerator they stay on the device. Both must log the same numbers and train the same weights.
/// </summary>
[Collection(TorchState.Name)]
public sealed class AccumulationPathTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Host_and_device_paths_log_and_train_identically(int accumulation)
    {
        (List<LogEntry> Logs, Dictionary<string, float[]> Weights) Run(bool onDevice)
        {
            using var temp = new TempDirectory();
            var model = TinyNet.Create(seed: 8);
            var args = Args.Quiet(temp.Path) with
            {
                GradientAccumulationSteps = accumulation, LoggingSteps = 3, NumTrainEpochs = 2, MaxGradNorm = 0.3,
                KeepLossOnDevice = onDevice,
            };
            var trainer = new ParityTrainer(model, args);
            trainer.Train(SampleData.Make(90));
            return (trainer.State.LogHistory.Where(e => e.ContainsKey("loss")).ToList(), model.Snapshot());
        }

        var host = Run(onDevice: false);
        var host2 = Run(onDevice: false);
        Assert.Equal(host.Logs.Select(e => (e.Step, e["loss"], e["grad_norm"])), host2.Logs.Select(e => (e.Step, e["loss"], e["grad_norm"])));
        var device = Run(onDevice: true);
        var device2 = Run(onDevice: true);
        Assert.Equal(device.Logs.Select(e => (e.Step, e["loss"], e["grad_norm"])), device2.Logs.Select(e => (e.Step, e["loss"], e["grad_norm"])));
        Assert.Equal(device.Logs.Select(e => (e.Step, e["loss"], e["grad_norm"])), host.Logs.Select(e => (e.Step, e["loss"], e["grad_norm"])));
        foreach (var (name, values) in host.Weights) Assert.Equal(device.Weights[name], values);
    }
}
