namespace MemGate.Tests;

/// <summary>Tests that must not run beside others (xUnit runs this collection after the parallel ones, by itself).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
