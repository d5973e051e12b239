using System.Reflection;
using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>
/// Finds and checks the CPU engine's library. MemGate is tested against one Unicorn version
/// (<see cref="RequiredVersion"/>); <c>./memgate</c> and <c>./test.sh</c> fetch it into a private cache
/// folder. Looked for, in order: the file named by <c>MEMGATE_UNICORN</c>; that cache folder; the system's
/// <c>libunicorn.so.2</c>.
/// </summary>
internal static class UnicornLibrary
{
    /// <summary>The version MemGate's behaviour is checked on: 2.1.4 (later 2.1.x patch releases are accepted).</summary>
    public static readonly Version RequiredVersion = new(2, 1, 4);

    public const string Name = "libunicorn.so.2";

    private static readonly Lazy<(nint Handle, string Problem)> Loaded = new(Load);

    /// <summary>The folder ./memgate and ./test.sh unpack the engine into (scripts/engine.sh says the same).</summary>
    public static string CacheFolder
    {
        get
        {
            string? cache = Environment.GetEnvironmentVariable("MEMGATE_CACHE");
            if (string.IsNullOrEmpty(cache))
            {
                string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
                cache = Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg, "memgate");
            }
            return Path.Combine(cache, $"unicorn-{RequiredVersion}");
        }
    }

    /// <summary>Registers the resolver that sends <see cref="Unicorn"/>'s imports to the checked library.</summary>
    public static void Register(Assembly assembly) => NativeLibrary.SetDllImportResolver(assembly, (name, _, _) =>
        name == Name && Loaded.Value.Handle != 0 ? Loaded.Value.Handle : 0);

    /// <summary>
    /// Starts loading the library on a pool thread: loading takes about 10 ms (Debian's build binds its 37,000
    /// symbol relocations at load time), which a command can spend reading its device and image instead.
    /// The first use waits for it.
    /// </summary>
    public static void LoadInBackground()
    {
        if (!Loaded.IsValueCreated)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static _ => _ = Loaded.Value, null);
        }
    }

    /// <summary>Why the engine cannot be used here, or null when it can.</summary>
    public static string? Problem => Loaded.Value.Problem.Length == 0 ? null : Loaded.Value.Problem;

    private static (nint, string) Load()
    {
        string? chosen = Environment.GetEnvironmentVariable("MEMGATE_UNICORN");
        string source;
        if (!string.IsNullOrEmpty(chosen))
        {
            source = $"{chosen} (MEMGATE_UNICORN)";
        }
        else
        {
            string cached = Path.Combine(CacheFolder, Name);
            (chosen, source) = File.Exists(cached) ? (cached, cached) : (Name, $"the system's {Name}");
        }
        const string Fix = "./memgate and ./test.sh fetch the right one; or set MEMGATE_UNICORN to its path.";
        if (!NativeLibrary.TryLoad(chosen, out nint handle))
        {
            return (0, $"Unicorn {RequiredVersion} (the CPU engine) was not found: {source} cannot be loaded. {Fix}");
        }
        if (!NativeLibrary.TryGetExport(handle, "uc_version", out nint export))
        {
            return (0, $"{source} is not a Unicorn library (no uc_version). {Fix}");
        }
        Version found = Decode(Version(export));
        if (found.Major != RequiredVersion.Major || found.Minor != RequiredVersion.Minor || found.Build < RequiredVersion.Build)
        {
            return (0, $"{source} is Unicorn {found}; MemGate needs Unicorn {RequiredVersion} (or a later {RequiredVersion.Major}.{RequiredVersion.Minor}.x). {Fix}");
        }
        return (handle, "");
    }

    private static unsafe uint Version(nint export) => ((delegate* unmanaged<uint*, uint*, uint>)export)(null, null);

    /// <summary>uc_version's result: major &lt;&lt; 24 | minor &lt;&lt; 16 | patch &lt;&lt; 8 | extra.</summary>
    public static Version Decode(uint combined) => new((int)(combined >> 24), (int)((combined >> 16) & 0xFF), (int)((combined >> 8) & 0xFF));
}
