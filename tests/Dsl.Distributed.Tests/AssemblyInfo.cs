// Every test launches several processes that share this machine's cores: one job at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
