using MemGate.Engine;
using MemGate.Memory;
using MemGate.Snapshots;

namespace MemGate.Emulation;

/// <summary>
/// A machine stopped mid-run, kept to go back to: guest memory (a <see cref="GuestSnapshot"/>), every
/// CPU register (the engine's saved context) and the state of every model: peripheral models (NVIC,
/// SysTick, UARTs with their FIFOs, timers, the CLINT, the GIC), SVD register blocks, plain registers,
/// passthrough MMIO input models and interrupt triggers.
/// Made by <see cref="FirmwareMachine.TakeSnapshot"/>, used by <see cref="FirmwareMachine.Restore"/>.
/// </summary>
public sealed class MachineSnapshot : IDisposable
{
    internal MachineSnapshot(FirmwareMachine machine, GuestSnapshot memory, ICpuContext cpu, byte[] models, ulong? resumePc, WriteWitness? witness)
    {
        Witness = witness;
        ResumePc = resumePc;
        Machine = machine;
        Memory = memory;
        Cpu = cpu;
        Models = models;
    }

    internal FirmwareMachine Machine { get; }

    internal GuestSnapshot Memory { get; }

    internal ICpuContext Cpu { get; }

    internal byte[] Models { get; }

    /// <summary>Where the engine and the memory report writes while the snapshot lives (large memory only), or null.</summary>
    internal WriteWitness? Witness { get; }

    /// <summary>Where the run goes on when the engine's PC is not it (a limit reached while an exception was being entered).</summary>
    internal ulong? ResumePc { get; }

    /// <summary>Frees the saved memory and CPU state.</summary>
    public void Dispose()
    {
        Memory.Dispose();
        Machine.StopWitness(Witness);   // unless the engine reports to a newer snapshot's witness
        Cpu.Dispose();
    }
}
