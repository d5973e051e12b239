namespace MemGate.Native;

/// <summary>
/// The process's transparent-huge-page setting (prctl PR_SET_THP_DISABLE), which applies to every thread. Code that
/// turns huge pages off for a while, and code that needs them while it first touches memory, take <see cref="Gate"/>
/// so that neither runs inside the other's window.
/// </summary>
internal static class TransparentHugePages
{
    /// <summary>Held while huge pages are off for the process, and while memory is first touched to get huge pages.</summary>
    public static Lock Gate { get; } = new();

    /// <summary>
    /// Turns huge pages off for the process until the returned scope is disposed (holding <see cref="Gate"/> meanwhile),
    /// unless they are off already (then the setting is left as it is).
    /// </summary>
    public static Scope Off()
    {
        Gate.Enter();
        bool turnedOff = Libc.Prctl(Libc.PrGetThpDisable, 0, 0, 0, 0) == 0 && Libc.Prctl(Libc.PrSetThpDisable, 1, 0, 0, 0) == 0;
        return new Scope(turnedOff);
    }

    /// <summary>Restores the setting <see cref="Off"/> changed and releases <see cref="Gate"/>.</summary>
    public readonly struct Scope(bool turnedOff) : IDisposable
    {
        public void Dispose()
        {
            if (turnedOff)
            {
                Libc.Prctl(Libc.PrSetThpDisable, 0, 0, 0, 0);
            }
            Gate.Exit();
        }
    }
}
