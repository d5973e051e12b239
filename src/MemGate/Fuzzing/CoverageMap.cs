namespace MemGate.Fuzzing;

/// <summary>
/// The edges (and hit-count buckets, AFL's 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+) seen over a campaign:
/// an input is interesting when its run sets a bucket never seen before.
/// </summary>
public sealed class CoverageMap
{
    private readonly byte[] _seen = new byte[FuzzTarget.MapSize];

    /// <summary>Edges seen at least once.</summary>
    public int Edges { get; private set; }

    /// <summary>Adds a run's map; true when it showed anything new.</summary>
    public bool Add(ReadOnlySpan<byte> run)
    {
        bool found = false;
        // The map is mostly zeros: skip them with the vectorised search rather than a byte at a time.
        for (int i = run.IndexOfAnyExcept((byte)0); i >= 0; i = Next(run, i + 1))
        {
            byte bucket = Bucket(run[i]);
            if ((_seen[i] & bucket) == 0)
            {
                if (_seen[i] == 0)
                {
                    Edges++;
                }
                _seen[i] |= bucket;
                found = true;
            }
        }
        return found;
    }

    /// <summary>Adds a run's edges, whatever their counts (as AFL's check for new hangs: a loop run more or fewer times is the same hang); true when one was new.</summary>
    public bool AddEdges(ReadOnlySpan<byte> run)
    {
        bool found = false;
        for (int i = run.IndexOfAnyExcept((byte)0); i >= 0; i = Next(run, i + 1))
        {
            if (_seen[i] == 0)
            {
                _seen[i] = 1;
                Edges++;
                found = true;
            }
        }
        return found;
    }

    private static int Next(ReadOnlySpan<byte> run, int from)
    {
        int offset = run[from..].IndexOfAnyExcept((byte)0);
        return offset < 0 ? -1 : from + offset;
    }

    /// <summary>AFL's hit-count bucket of a count, as one bit.</summary>
    public static byte Bucket(byte count) => count switch
    {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 4,
        <= 7 => 8,
        <= 15 => 16,
        <= 31 => 32,
        <= 127 => 64,
        _ => 128,
    };
}
