namespace MemGate.Emulation;

/// <summary>How a run ended (a guest fault is an <see cref="EmulationFault"/> instead).</summary>
public enum RunOutcome
{
    /// <summary>The firmware exited (semihosting SYS_EXIT, the RISC-V test device); <see cref="RunResult.ExitCode"/> holds its code.</summary>
    Exit,

    /// <summary>The instruction limit was reached.</summary>
    InstructionLimit,

    /// <summary>The wall-time limit was reached.</summary>
    Timeout,

    /// <summary><see cref="FirmwareMachine.RequestStop"/> was called (Ctrl-C).</summary>
    Interrupted,

    /// <summary>The CPU waits for an interrupt that nothing will raise.</summary>
    Idle,

    /// <summary>An unmodelled MMIO read needed more of the run's MMIO input than was left (the end of a Fuzzware-style run).</summary>
    InputExhausted,

    /// <summary>
    /// <see cref="FirmwareMachine.InputTimeout"/> basic blocks ran without the MMIO input giving a byte (Fuzzware's
    /// fuzz consumption timeout: the firmware waits in a loop that no input can end).
    /// </summary>
    InputTimeout,

    /// <summary>Execution reached a stop point (<see cref="FirmwareMachine.StopAt"/>, <c>--stop-at</c>).</summary>
    Reached,

    /// <summary>Execution reached a debugger's breakpoint (<see cref="FirmwareMachine.AddBreakpoint"/>), before the instruction there ran.</summary>
    Breakpoint,

    /// <summary>An instruction accessed memory a debugger watches (<see cref="FirmwareMachine.AddWatchpoint"/>); the run stopped after it.</summary>
    Watchpoint,

    /// <summary>The run executed <see cref="FirmwareMachine.BlockLimit"/> basic blocks (Fuzzware's <c>limits.translation_blocks</c>).</summary>
    BlockLimit,

    /// <summary>The run was about to take its <see cref="FirmwareMachine.InterruptLimit"/>th exception other than SysTick (Fuzzware's <c>limits.interrupts</c>).</summary>
    InterruptLimit,
}
