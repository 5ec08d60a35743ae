using Dsl.__Internals;

namespace Dsl.Tests.Training;

/// <summary>HF's <c>DefaultFlowCallback</c> and <c>EarlyStoppingCallback</c> rules, on the flow alone.</summary>
public sealed class TrainingFlowTests
{
    private static TrainingArguments Steps(int logging = 2, int eval = 3, int save = 4) => new()
    {
        LoggingStrategy = IntervalStrategy.Steps, LoggingSteps = logging,
        EvalStrategy = IntervalStrategy.Steps, EvalSteps = eval,
        SaveStrategy = SaveStrategy.Steps, SaveSteps = save,
    };

    private static (bool Log, bool Eval, bool Save, bool Stop) After(TrainingFlow flow, int step, int maxSteps)
    {
        flow.OnStepBegin();
        flow.OnStepEnd(step, maxSteps, 2, 3, 4);
        return (flow.TakeLogRequest(), flow.TakeEvaluateRequest(), flow.TakeSaveRequest(), flow.StopsTraining);
    }

    [Fact]
    public void Steps_log_evaluate_and_save_on_their_multiples_and_the_last_step_saves_and_evaluates()
    {
        var flow = new TrainingFlow(Steps());
        Assert.Equal((false, false, false, false), After(flow, 1, 10));
        Assert.Equal((true, false, false, false), After(flow, 2, 10));
        Assert.Equal((false, true, false, false), After(flow, 3, 10));
        Assert.Equal((true, false, true, false), After(flow, 4, 10));
        Assert.Equal((true, true, true, true), After(flow, 10, 10));   // HF PR #44146 and on_step_end's save at the end
    }

    [Fact]
    public void A_request_is_taken_once()
    {
        var flow = new TrainingFlow(Steps());
        flow.Request(TrainerControl.Log | TrainerControl.Save);
        Assert.True(flow.TakeLogRequest());
        Assert.False(flow.TakeLogRequest());
        Assert.True(flow.TakeSaveRequest());
        Assert.False(flow.TakeSaveRequest());
    }

    [Fact]
    public void Step_begin_clears_log_evaluate_and_save_but_keeps_the_stops()
    {
        var flow = new TrainingFlow(Steps());
        flow.Request(TrainerControl.Log | TrainerControl.Evaluate | TrainerControl.Save | TrainerControl.StopEpoch);
        flow.OnStepBegin();
        Assert.Equal(TrainerControl.StopEpoch, flow.Control);
        Assert.True(flow.StopsEpoch);
        flow.OnEpochBegin();
        Assert.False(flow.StopsEpoch);
    }

    [Fact]
    public void A_preempted_step_saves_even_without_a_save_strategy_evaluates_nothing_and_stops()
    {
        var flow = new TrainingFlow(new TrainingArguments { EvalStrategy = IntervalStrategy.Steps, EvalSteps = 3, SaveStrategy = SaveStrategy.No });
        flow.OnStepBegin();
        flow.OnStepEnd(3, 10, 2, 3, 4);   // an evaluation step
        flow.Preempt();
        flow.Request(TrainerControl.Evaluate);   // a hook asking after the signal: the save still comes first, alone
        Assert.True(flow.Preempted);
        Assert.False(flow.TakeEvaluateRequest());
        Assert.True(flow.TakeSaveRequest());
        Assert.True(flow.StopsTraining);
        flow.OnEpochEnd(0.3);   // the epoch's end that follows the break adds no log, evaluation or save
        Assert.Equal(TrainerControl.StopTraining, flow.Control);
    }

    [Fact]
    public void A_halted_run_saves_nothing_more()
    {
        var flow = new TrainingFlow(Steps());
        flow.Halt();
        flow.Request(TrainerControl.Save);
        Assert.False(flow.TakeSaveRequest());
        Assert.True(flow.StopsTraining);
    }

    [Fact]
    public void Epoch_strategies_act_at_the_epochs_end_from_EvalDelay_on()
    {
        var flow = new TrainingFlow(new TrainingArguments
        {
            LoggingStrategy = IntervalStrategy.Epoch, EvalStrategy = IntervalStrategy.Epoch, SaveStrategy = SaveStrategy.Epoch, EvalDelay = 2,
        });
        flow.OnEpochEnd(epoch: 1);
        Assert.Equal((true, false, true), (flow.TakeLogRequest(), flow.TakeEvaluateRequest(), flow.TakeSaveRequest()));
        flow.OnEpochEnd(epoch: 2);
        Assert.True(flow.TakeEvaluateRequest());
    }

    [Fact]
    public void Early_stopping_stops_after_patience_evaluations_without_improving_by_the_threshold()
    {
        var args = Steps() with { MetricForBestModel = "eval_loss", EarlyStoppingPatience = 2, EarlyStoppingThreshold = 0.01 };
        var flow = new TrainingFlow(args);
        var state = new TrainerState();
        bool Observe(double loss)
        {
            bool best = flow.ObserveMetric(loss, state).NewBest;
            if (best) state.BestMetric = loss;
            return best;
        }
        Assert.True(Observe(1.0));
        Assert.True(Observe(0.995));    // a new best, yet not better by more than the threshold: the counter grows
        Assert.Equal(1, flow.EarlyStoppingPatienceCounter);
        Assert.False(flow.StopsTraining);
        Assert.Equal(new TrainingFlow.MetricVerdict(NewBest: false, StopsEarly: true), flow.ObserveMetric(0.999, state));
        Assert.True(flow.StopsTraining);
        Assert.False(flow.ObserveMetric(0.999, state).StopsEarly);   // said once: the run is stopping already
    }

    [Fact]
    public void A_new_best_asks_for_a_save_with_SaveStrategy_Best_only()
    {
        var best = new TrainingFlow(new TrainingArguments { SaveStrategy = SaveStrategy.Best, MetricForBestModel = "eval_accuracy" });
        Assert.True(best.ObserveMetric(0.5, new TrainerState()).NewBest);
        Assert.True(best.TakeSaveRequest());
        var steps = new TrainingFlow(Steps() with { MetricForBestModel = "eval_accuracy" });
        Assert.True(steps.ObserveMetric(0.5, new TrainerState()).NewBest);
        Assert.False(steps.TakeSaveRequest());
    }
}
