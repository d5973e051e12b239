using MemGate.Memory;

namespace MemGate.Tests.Memory;

/// <summary>Readers and writers on several threads while another thread keeps removing and re-adding regions.</summary>
public class GuestMemoryConcurrencyTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Access_during_region_changes_never_touches_unmapped_memory(bool regionTable)
    {
        const int Regions = 4;
        const ulong Size = 64 * 1024;
        using var memory = new GuestMemory(new GuestMemoryOptions { ForceRegionTable = regionTable });
        for (int r = 0; r < Regions; r++)
        {
            memory.AddRegion(GuestRegion.Ram($"R{r}", 0x1000_0000UL * (ulong)(r + 1), Size));
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        long accesses = 0, faults = 0, badValues = 0;
        var workers = Enumerable.Range(0, 3).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            uint pattern = 0x1111_1111u * (uint)(t + 1);
            long mine = 0, myFaults = 0, myBad = 0;
            while (!stop.IsCancellationRequested)
            {
                ulong address = 0x1000_0000UL * (ulong)random.Next(1, Regions + 1) + (ulong)random.Next(0, (int)Size / 4) * 4;
                try
                {
                    if (random.Next(2) == 0)
                    {
                        memory.WriteUInt32(new GuestAddress(address), pattern);
                    }
                    else
                    {
                        uint value = memory.ReadUInt32(new GuestAddress(address));
                        // A word is zero (fresh or discarded) or some thread's whole pattern: never torn, never garbage.
                        if (value != 0 && value % 0x1111_1111u != 0)
                        {
                            myBad++;
                        }
                    }
                }
                catch (GuestUnmappedException)
                {
                    myFaults++;
                }
                mine++;
            }
            Interlocked.Add(ref accesses, mine);
            Interlocked.Add(ref faults, myFaults);
            Interlocked.Add(ref badValues, myBad);
        }) { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());

        int cycles = 0;
        try
        {
            // Capped: a removed region's host mapping is kept until the memory is disposed (region-table
            // mode), and a fast machine could otherwise run into vm.max_map_count.
            var random = new Random(99);
            while (!stop.IsCancellationRequested && cycles < 5_000)
            {
                int r = random.Next(Regions);
                Assert.True(memory.RemoveRegion($"R{r}"));
                Thread.Yield();
                memory.AddRegion(GuestRegion.Ram($"R{r}", 0x1000_0000UL * (ulong)(r + 1), Size));
                cycles++;
            }
        }
        finally
        {
            // However the loop ended, the workers are gone before the memory is disposed under them.
            stop.Cancel();
            workers.ForEach(w => Assert.True(w.Join(TimeSpan.FromSeconds(30)), "a worker did not stop"));
        }

        Assert.True(cycles > 10, $"only {cycles} remove/add cycles");
        Assert.True(accesses > 10_000, $"only {accesses} accesses");
        Assert.Equal(0, badValues);
        Assert.Equal(Regions, memory.Regions.Count);
    }
}
