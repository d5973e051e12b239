namespace MemGate.Fuzzing;

/// <summary>What a <see cref="FuzzCampaign"/> reads, writes and how long it goes on.</summary>
public sealed record FuzzCampaignOptions
{
    /// <summary>Seeds are read from here (every file); inputs that find new coverage are written here.</summary>
    public required string CorpusDirectory { get; init; }

    /// <summary>One input per distinct crash is written here.</summary>
    public required string CrashDirectory { get; init; }

    /// <summary>Worker threads, each with its own machine.</summary>
    public int Jobs { get; init; } = 1;

    /// <summary>Stop after this many runs (null: no limit).</summary>
    public ulong? Runs { get; init; }

    /// <summary>Stop after this long (null: no limit).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>The mutators' random seed (the same seed and one job repeat a campaign).</summary>
    public int Seed { get; init; } = Environment.TickCount;

    /// <summary>The longest input the mutators make (by default AFL++'s limit, <see cref="FuzzCampaign.MaxSeedLength"/>).</summary>
    public int MaxInputLength { get; init; } = FuzzCampaign.MaxSeedLength;

    /// <summary>
    /// The command that replays a crash from its saved input (given the input's path and the run's kind), written beside
    /// the input as a .txt file; an input of the same name and bytes from a campaign with another command is not reused.
    /// </summary>
    public Func<string, FuzzRunKind, string>? ReplayCommand { get; init; }
}
