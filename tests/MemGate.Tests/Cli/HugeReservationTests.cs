namespace MemGate.Tests.Cli;

/// <summary>
/// A region of half the x86-64 user address space needs a hole that large in this process: run alone, so that
/// other tests' reservations (devices, the 128 GiB region of another test) cannot split the space meanwhile.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class HugeReservationTests
{
    [Fact]
    public void A_64_TiB_reservation_is_allocated_without_touching_memory()
    {
        // Bounded: touching the pages would not finish in time.
        var (exit, output, error) = CliRunner.RunBounded(TimeSpan.FromSeconds(60), "allocate", "-r", "A@0:64TiB", "--width", "64");
        Assert.True(exit == 0, error);
        Assert.Contains("0 B resident", output);
    }
}
