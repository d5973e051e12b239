namespace MemGate.Cli.Serial;

/// <summary>What a key typed at the serial console does (see <see cref="EscapeParser"/>).</summary>
internal enum EscapeAction
{
    /// <summary>The byte goes to the firmware.</summary>
    Send,

    /// <summary>Nothing yet: the escape key (Ctrl-A) waits for the next key, or an unknown command was ignored.</summary>
    None,

    /// <summary>Ctrl-A x: end the run.</summary>
    Quit,

    /// <summary>Ctrl-A h: print the keys.</summary>
    Help,

    /// <summary>Ctrl-A c: QEMU's monitor, which memgate has not.</summary>
    Monitor,

    /// <summary>Ctrl-A Ctrl-A (or Ctrl-A a): send one Ctrl-A to the firmware.</summary>
    SendEscape,
}
