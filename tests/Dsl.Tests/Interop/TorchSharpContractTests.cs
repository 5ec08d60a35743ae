using System.Runtime.InteropServices;
using Dsl.Interop;
using Dsl.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Tests.Interop;

/// <summary>
/// One test per assumption the runtime makes about TorchSharp 0.107 / libtorch 2.10 beyond their public contract
/// (src/Dsl/Interop/TorchSharpInternals.cs, docs/architecture.md "The TorchSharp seam"). Each is named after its
/// assumption: after a TorchSharp upgrade, the failing names say what to revisit. Assumptions tested elsewhere:
/// libtorch's clip_grad_norm_ arithmetic (GradientClippingTests), TorchSharp's AdamW and SGD updates
/// (LeanOptimizerTests), the Device string syntax (the generator tests' ValidateInStepTests), MKL's PLT call
/// (MklCpuDispatchTests), libLibTorchSharp's GLIBCXX_3.4.32 marker (NativeRepairTests).
/// </summary>
[Collection(TorchState.Name)]
public sealed class TorchSharpContractTests
{
    [Fact]
    public void Module_ConditionallyRegisterParameter_replaces_a_registered_parameter_by_name()
    {
        using var linear = nn.Linear(3, 2);
        var old = linear.weight!;
        var replacement = new Parameter(zeros(2, 3));
        TorchSharpInternals.ReplaceParameter(linear, "weight", TorchSharpInternals.FieldsHolding(linear, old), replacement);
        Assert.Same(replacement, linear.named_parameters().Single(p => p.name == "weight").parameter);
        Assert.Equal(replacement.Handle, linear.state_dict()["weight"].Handle);
        Assert.Equal(2, linear.parameters().Count());   // replaced, not added
    }

    [Fact]
    public void A_built_in_module_computes_with_the_parameters_its_instance_fields_hold()
    {
        using var linear = nn.Linear(3, 2, hasBias: false);
        var fields = TorchSharpInternals.FieldsHolding(linear, linear.weight!);
        Assert.NotEmpty(fields);   // Linear keeps its weight in a field (_weight in 0.107)
        TorchSharpInternals.ReplaceParameter(linear, "weight", fields, new Parameter(zeros(2, 3)));
        using var output = linear.forward(ones(1, 3));
        Assert.Equal(0f, output.abs().sum().item<float>());
    }

    [Fact]
    public void AdamW_creates_each_parameters_state_when_built_keyed_by_the_parameter_handle()
    {
        using var linear = nn.Linear(3, 2);
        using var optimizer = new TorchSharp.Modules.AdamW(linear.parameters(), lr: 0.1);
        foreach (var parameter in linear.parameters())
        {
            var state = TorchSharpInternals.AdamWState(optimizer, parameter);
            Assert.Equal(0, state.step);
            Assert.Equal(parameter.shape, state.exp_avg.shape);
            Assert.Equal(0f, state.exp_avg.abs().sum().item<float>());
            Assert.Equal(0f, state.exp_avg_sq.abs().sum().item<float>());
        }
    }

    [Fact]
    public void AdamW_state_step_counts_the_updates_taken()
    {
        using var linear = nn.Linear(3, 2);
        using var optimizer = new TorchSharp.Modules.AdamW(linear.parameters(), lr: 0.1);
        for (int i = 0; i < 2; i++)
        {
            optimizer.zero_grad();
            using var loss = linear.forward(ones(4, 3)).sum();
            loss.backward();
            optimizer.step();
        }
        var state = TorchSharpInternals.AdamWState(optimizer, linear.weight!);
        Assert.Equal(2, state.step);
        Assert.NotEqual(0f, state.exp_avg.abs().sum().item<float>());
    }

    [Fact]
    public void Saved_optimizer_state_records_the_type_short_name_and_loading_refuses_another()
    {
        using var linear = nn.Linear(3, 2);
        using var lean = new Dsl.Optimization.AdamW(linear.parameters(), lr: 0.1);
        using var plain = new TorchSharp.Modules.AdamW(linear.parameters(), lr: 0.1);
        using var renamed = new RenamedAdamW(linear.parameters());
        byte[] saved = Save(lean);
        Load(plain, saved);   // the same short name, AdamW: interchangeable, which is why Dsl's is named so
        Assert.Throws<InvalidDataException>(() => Load(renamed, saved));
    }

    [Fact]
    public void Saved_optimizer_state_has_one_length_for_one_optimizer_over_one_model_at_every_step()
    {
        using var linear = nn.Linear(3, 2);
        using var optimizer = new Dsl.Optimization.AdamW(linear.parameters(), lr: 0.1);
        long fresh = TorchSharpInternals.SavedStateLength(optimizer);
        for (int i = 0; i < 3; i++)
        {
            optimizer.zero_grad();
            using var loss = linear.forward(ones(4, 3)).sum();
            loss.backward();
            optimizer.step();
        }
        Assert.Equal(fresh, TorchSharpInternals.SavedStateLength(optimizer));
        Assert.Equal(fresh, Save(optimizer).Length);
    }

    [Fact]
    public void The_CPU_generator_state_starts_with_the_legacy_mt19937_layout()
    {
        torch.random.manual_seed(1234);
        using (var seeded = torch.get_rng_state())
        {
            var state = TorchSharpInternals.ReadRngState(seeded.bytes);
            Assert.Equal(1234UL, state.InitialSeed);
            Assert.Equal(1, state.Seeded);
            Assert.Equal(1, state.Left);   // mt19937 right after seeding: left 1, next 0
            Assert.Equal(0U, state.Next);
            Assert.Null(TorchSharpInternals.RngStateProblem(seeded.bytes));
        }
        using (var drawn = torch.rand(1000)) { }
        using var later = torch.get_rng_state();
        var after = TorchSharpInternals.ReadRngState(later.bytes);
        Assert.Equal(1234UL, after.InitialSeed);
        Assert.InRange(after.Left, 1, 624);
        Assert.True(after.Left != 1 || after.Next != 0, "drawing numbers moves the generator's position");
        byte[] unseeded = later.bytes.ToArray();
        unseeded[12] = 0;   // the 'seeded' flag
        Assert.Equal("the generator is marked unseeded", TorchSharpInternals.RngStateProblem(unseeded));
    }

    [Fact]
    public void A_parameter_group_keeps_the_enumerable_it_was_built_from()
    {
        // MixedPrecision pins the groups' parameters to arrays before it swaps working copies into the module,
        // because a group built on model.parameters() would otherwise find the copies.
        using var linear = nn.Linear(3, 2, hasBias: false);
        using var optimizer = new TorchSharp.Modules.AdamW(linear.parameters(), lr: 0.1);
        var replacement = new Parameter(zeros(2, 3));
        TorchSharpInternals.ReplaceParameter(linear, "weight", TorchSharpInternals.FieldsHolding(linear, linear.weight!), replacement);
        Assert.Same(replacement, ((ParamGroup)optimizer.ParamGroups.Single()).Parameters.Single());
    }

    [Fact]
    public void named_modules_leaves_out_the_module_itself()
    {
        using var model = nn.Sequential(("first", nn.Linear(2, 2)));
        Assert.Equal(["first"], model.named_modules().Select(m => m.name));
    }

    [Fact]
    public void Non_persistent_buffers_are_left_out_of_named_buffers()
    {
        // Dsl.Text's BertEmbeddings moves its position_ids itself for this reason.
        using var module = new WithBuffer();
        Assert.DoesNotContain(module.named_buffers(), b => b.name == "hidden");
        Assert.Contains(module.named_buffers(), b => b.name == "kept");
    }

    [Fact]
    public void An_LRScheduler_subclass_steps_only_when_asked_and_counts_in_step_count()
    {
        using var linear = nn.Linear(2, 2);
        using var optimizer = new TorchSharp.Modules.SGD(linear.parameters(), 1.0);
        var schedule = new LambdaSchedule(optimizer, step => 1.0 / (step + 1), "test");   // steps once, as LambdaLR does
        Assert.Equal(0, schedule.LastStep);
        Assert.Equal(1.0, optimizer.ParamGroups.Single().LearningRate);
        schedule.step();
        Assert.Equal(1, schedule.LastStep);
        Assert.Equal(0.5, optimizer.ParamGroups.Single().LearningRate);
    }

    private static byte[] Save(OptimizerHelper optimizer)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(writer);
        return buffer.ToArray();
    }

    private static void Load(OptimizerHelper optimizer, byte[] saved)
    {
        using var reader = new BinaryReader(new MemoryStream(saved));
        optimizer.load_state_dict(reader);
    }

    private sealed class RenamedAdamW(IEnumerable<Parameter> parameters) : TorchSharp.Modules.AdamW(parameters, 0.1);

    private sealed class WithBuffer : nn.Module
    {
        public WithBuffer() : base(nameof(WithBuffer))
        {
            register_buffer("hidden", zeros(2), persistent: false);
            register_buffer("kept", zeros(2));
        }
    }
}
