using TorchSharp;

namespace Dsl;

/// <summary>Seeds every random number generator a run uses (HF's <c>set_seed</c>).</summary>
public static class Seeding
{
    /// <summary>Seeds torch's CPU generator and, where present, every CUDA device's.</summary>
    public static void SetSeed(int seed)
    {
        torch.random.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }
}
