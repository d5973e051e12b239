using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace MemGate.Fuzzing;

/// <summary>
/// A coverage-guided fuzzing loop over <see cref="FuzzTarget"/>s: seeds from the corpus folder, havoc
/// mutations of kept inputs, an input kept when its run shows a new edge or hit-count bucket, crashes
/// deduplicated by fault kind and PC and saved once each, hangs saved when they reached an edge no saved hang did (hit counts ignored, as in AFL's check for new hangs). Workers run in threads, each on its own machine,
/// sharing the corpus and the coverage.
/// </summary>
public sealed class FuzzCampaign(Func<FuzzTarget> createTarget, FuzzCampaignOptions options)
{
    private readonly Lock _lock = new();
    private readonly List<byte[]> _corpus = [];
    private readonly CoverageMap _coverage = new();
    private const int MaxSavedHangs = 500;   // AFL's KEEP_UNIQUE_HANG
    private readonly Dictionary<string, FuzzCrash> _crashes = [];
    private readonly CoverageMap _hangEdges = new();   // the edges of the hangs saved (see Record)
    private int _savedHangs;
    private ExceptionDispatchInfo? _failure;
    private ulong _runs;
    private ulong _claimed;   // runs the workers took on (the seeds' included): with a run limit, no worker takes one past it
    private ulong _hangs;
    private int _written;

    /// <summary>Called with each new distinct crash and each hang saved (from a worker thread).</summary>
    public event Action<FuzzCrash>? CrashFound;

    /// <summary>
    /// Called (before the runs start) for each entry of the corpus folder that is not used as it is, and why: one that is
    /// not a regular file (a FIFO, a dangling link) is passed over, one longer than <see cref="MaxSeedLength"/> is cut there.
    /// </summary>
    public event Action<string, string>? SeedSkipped;

    /// <summary>The longest corpus input used (AFL++'s limit, 1 MiB); a longer one is cut to this many bytes.</summary>
    public const int MaxSeedLength = 1 << 20;

    /// <summary>The distinct crashes found so far.</summary>
    public IReadOnlyCollection<FuzzCrash> Crashes
    {
        get
        {
            lock (_lock)
            {
                return [.. _crashes.Values];
            }
        }
    }

    // The corpus folder's regular files in name order, each at most MaxSeedLength bytes (as AFL++ reads its test cases).
    private List<byte[]> ReadSeeds()
    {
        var seeds = new List<byte[]>();
        foreach (string path in Directory.GetFiles(options.CorpusDirectory).Order(StringComparer.Ordinal))
        {
            if (Native.Libc.FileType(path) != Native.Libc.RegularFile)   // checked before opening: a FIFO would block until written
            {
                SeedSkipped?.Invoke(path, "not a regular file (a FIFO, a device or a dangling link): passed over");
                continue;
            }
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            if (file.Length > MaxSeedLength)
            {
                SeedSkipped?.Invoke(path, $"{file.Length:N0} bytes: only its first {MaxSeedLength:N0} are used (each run reads the whole input)");
            }
            var bytes = new byte[Math.Min(file.Length, MaxSeedLength)];
            file.ReadExactly(bytes);
            seeds.Add(bytes);
        }
        return seeds;
    }

    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);

    // The highest N of the folder's id-N… inputs (0 when there are none).
    private static int LastId(string folder) => Directory.EnumerateFiles(folder, "id-*")
        .Select(path => Path.GetFileName(path).Split('-') is [_, var n, ..] && int.TryParse(n, System.Globalization.CultureInfo.InvariantCulture, out int id) ? id : 0)
        .DefaultIfEmpty(0).Max();

    // The operating system's refusal (a read-only place, /proc) said with the folder's role.
    private static void MakeFolder(string folder, string role)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MemGateException($"The {role} folder '{folder}' cannot be made: {e.Message}", e);
        }
    }

    /// <summary>
    /// Runs the campaign until its run count or duration is reached or <paramref name="cancel"/> fires (also while the
    /// corpus's inputs run first);
    /// <paramref name="status"/> is called about once a second on this thread, and once at the end.
    /// </summary>
    public FuzzStatus Run(Action<FuzzStatus>? status = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var targets = new FuzzTarget[Math.Max(1, options.Jobs)];
        bool workersNeeded = true;
        try
        {
            // The machines first: a target that cannot be built (a start point it never reaches) leaves no folders behind.
            for (int i = 0; i < targets.Length; i++)
            {
                targets[i] = createTarget();
            }
            MakeFolder(options.CorpusDirectory, "corpus");
            MakeFolder(options.CrashDirectory, "crashes");
            var seeds = ReadSeeds();
            _written = LastId(options.CorpusDirectory);   // a campaign resumed on its corpus numbers on: an earlier input is never replaced
            if (seeds.Count == 0)
            {
                seeds.Add(new byte[16]);
            }
            // A large corpus on a slow target takes minutes: the duration and a stop are looked at between its inputs too.
            var shown = TimeSpan.Zero;
            foreach (var seed in seeds)
            {
                if (options.Duration is { } limit && clock.Elapsed >= limit)
                {
                    stop.Cancel();
                }
                if (stop.IsCancellationRequested)
                {
                    break;
                }
                Record(targets[0], seed, targets[0].Execute(seed), keep: true);
                if (clock.Elapsed - shown >= StatusInterval)
                {
                    shown = clock.Elapsed;
                    status?.Invoke(Status(shown));
                }
            }
            if (stop.IsCancellationRequested)
            {
                workersNeeded = false;
            }
            _claimed = _runs;
            var workers = targets.Take(workersNeeded ? targets.Length : 0).Select((target, index) => new Thread(() =>
            {
                try
                {
                    Work(target, options.Seed + index, stop.Token);
                }
                catch (Exception e)
                {
                    // Not on a worker's stack, where it would end the process: the campaign stops and Run rethrows it.
                    lock (_lock)
                    {
                        _failure ??= ExceptionDispatchInfo.Capture(e);
                    }
                    stop.Cancel();
                }
            })
            { IsBackground = true, Name = $"fuzz-{index}" }).ToArray();
            foreach (var worker in workers)
            {
                worker.Start();
            }
            while (!workers.All(w => w.Join(StatusInterval)))
            {
                if (options.Duration is { } limit && clock.Elapsed >= limit)
                {
                    stop.Cancel();
                }
                status?.Invoke(Status(clock.Elapsed));
            }
        }
        finally
        {
            stop.Cancel();
            foreach (var target in targets)
            {
                target?.Dispose();
            }
        }
        _failure?.Throw();
        var final = Status(clock.Elapsed);
        status?.Invoke(final);
        return final;
    }

    private FuzzStatus Status(TimeSpan elapsed)
    {
        lock (_lock)
        {
            return new FuzzStatus(Interlocked.Read(ref _runs), elapsed, _coverage.Edges, _corpus.Count, _crashes.Count, Interlocked.Read(ref _hangs));
        }
    }

    private FuzzCrash Save(string signature, FuzzRun run, byte[] input)
    {
        // A file of that name from another campaign in the same folder (another device, another start) is kept: its replay
        // command pairs it with that campaign's snapshot or device. The same bytes are reused only with the same command.
        string name = signature.Replace('@', '-');
        string file = Path.Combine(options.CrashDirectory, name + ".bin");
        string? Replay(string path) => options.ReplayCommand?.Invoke(path, run.Kind);
        bool Reusable(string path) => File.ReadAllBytes(path).AsSpan().SequenceEqual(input)
            && (Replay(path) is not { } command || !File.Exists(Path.ChangeExtension(path, ".txt")) || File.ReadAllText(Path.ChangeExtension(path, ".txt")) == command + "\n");
        for (int copy = 2; File.Exists(file) && !Reusable(file); copy++)
        {
            file = Path.Combine(options.CrashDirectory, $"{name}-{copy}.bin");
        }
        OutputFile.Write(file, stream => stream.Write(input));
        string? replay = Replay(file);
        if (replay is not null)
        {
            OutputFile.WriteAllText(Path.ChangeExtension(file, ".txt"), replay + "\n");
        }
        return new FuzzCrash(signature, run.Reason, file, run.Kind) { Replay = replay };
    }

    private void Work(FuzzTarget target, int seed, CancellationToken stop)
    {
        var mutator = new InputMutator(seed, options.MaxInputLength);
        var random = new Random(seed);
        while (!stop.IsCancellationRequested)
        {
            // Taken before the run, so that workers together stop at the limit (checking the count after would let each finish one more).
            if (options.Runs is { } limit && Interlocked.Increment(ref _claimed) > limit)
            {
                return;
            }
            byte[] parent, other;
            lock (_lock)
            {
                parent = _corpus[random.Next(_corpus.Count)];
                other = _corpus[random.Next(_corpus.Count)];
            }
            byte[] input = mutator.Mutate(parent, other);
            Record(target, input, target.Execute(input), keep: false);
        }
    }

    private void Record(FuzzTarget target, byte[] input, FuzzRun run, bool keep)
    {
        Interlocked.Increment(ref _runs);
        if (run.Kind == FuzzRunKind.Hang)
        {
            Interlocked.Increment(ref _hangs);
        }
        FuzzCrash? found = null;
        lock (_lock)
        {
            // Only normal runs add to the coverage that decides what is new (AFL keeps crashes' and hangs' apart): an edge first
            // reached by a crash would otherwise never let the normal input that reaches it later into the corpus.
            bool fresh = run.Kind == FuzzRunKind.Normal && _coverage.Add(target.Edges);
            if (run.Kind == FuzzRunKind.Crash && run.Signature is { } signature && !_crashes.ContainsKey(signature))
            {
                _crashes[signature] = found = Save(signature, run, input);
            }
            else if (run.Kind == FuzzRunKind.Hang && run.Signature is { } where && _savedHangs < MaxSavedHangs && _hangEdges.AddEdges(target.Edges))
            {
                // A hang stops wherever the limit fell, so its PC says little: as in AFL's check for new hangs, one is saved
                // when it reached an edge no saved hang did (hit counts ignored: the same loop run longer is the same hang).
                // Numbered: hangs at one PC are common, and Save's search for a free name reads the files it passes.
                _savedHangs++;
                found = Save($"{where}-{_savedHangs}", run, input);
            }
            // Seeds always stay (whatever their runs did); later inputs when they ran normally and showed something new.
            if (keep || (fresh && run.Kind == FuzzRunKind.Normal))
            {
                _corpus.Add(input);
                if (!keep)
                {
                    OutputFile.Write(Path.Combine(options.CorpusDirectory, $"id-{++_written:D6}-edges-{_coverage.Edges}"), stream => stream.Write(input));
                }
            }
        }
        if (found is not null)
        {
            CrashFound?.Invoke(found);
        }
    }
}
