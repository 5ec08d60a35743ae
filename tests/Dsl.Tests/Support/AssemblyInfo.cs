// torch's default generator and the live-tensor count are process-wide: tests that train must not
// run side by side, or their seeds and counts would mix.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
