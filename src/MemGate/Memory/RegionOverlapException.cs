namespace MemGate.Memory;

/// <summary>A region was added where another one already is; names both and the shared range.</summary>
public sealed class RegionOverlapException : MemGateException
{
    /// <summary>Creates the exception for two overlapping regions.</summary>
    public RegionOverlapException(GuestRegion added, GuestRegion existing)
        : base($"Region {added} overlaps region {existing} in [{new GuestAddress(Math.Max(added.Start.Value, existing.Start.Value))}–{new GuestAddress(Math.Min(added.Last.Value, existing.Last.Value))}].")
    {
        Added = added;
        Existing = existing;
    }

    /// <summary>The region being added.</summary>
    public GuestRegion Added { get; }

    /// <summary>The region already there.</summary>
    public GuestRegion Existing { get; }
}
