using System.Runtime.ExceptionServices;
using MemGate.Emulation;
using MemGate.Native;

namespace MemGate.Tests.Emulation;

/// <summary>Stopping a run from another thread (Ctrl-C, a debugger's interrupt), wherever the request lands.</summary>
public sealed class StopRequestTests
{
    private const ulong Limit = 20_000;

    [Fact]
    public void A_run_whose_token_is_cancelled_before_it_begins_runs_nothing_and_goes_on_from_its_start()
    {
        using var reference = RunLimitTests.Looping("");
        var whole = reference.Run(maxInstructions: Limit);
        using var machine = RunLimitTests.Looping("");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var stopped = machine.Run(maxInstructions: Limit, cancel: cancelled.Token);
        Assert.Equal(RunOutcome.Interrupted, stopped.Outcome);
        Assert.Equal(0UL, stopped.Instructions);
        var rest = machine.Continue(maxInstructions: Limit);
        Assert.Equal(RunOutcome.InstructionLimit, rest.Outcome);
        Assert.Equal(whole.Instructions, rest.Instructions);
        Assert.Equal(reference.ReadRegister(Unicorn.ArmRegR0), machine.ReadRegister(Unicorn.ArmRegR0));
        Assert.Equal(reference.ReadRegister(Unicorn.ArmRegPc), machine.ReadRegister(Unicorn.ArmRegPc));
    }

    [Fact]
    public void A_stop_landing_anywhere_loses_and_repeats_no_instruction()
    {
        // The loop (movs r0, #0; loop: adds r0, #1; b loop) jumps back into the middle of its first block: stopped from
        // outside, the engine could end there before the next block is counted, which looked like the middle of the first.
        // What the interrupted run and its continuation did together must be what one run did.
        using var reference = RunLimitTests.Looping("");
        var whole = reference.Run(maxInstructions: Limit);
        ulong r0 = reference.ReadRegister(Unicorn.ArmRegR0);
        using var machine = RunLimitTests.Looping("");
        var random = new Random(7);
        int interrupted = 0;
        for (int attempt = 0; attempt < 200; attempt++)
        {
            using var stop = new CancellationTokenSource();
            int spin = random.Next(0, 20_000);
            var stopper = new Thread(() =>
            {
                Thread.SpinWait(spin);
                stop.Cancel();
            });
            stopper.Start();
            RunResult first;
            try
            {
                first = Bounded(machine, () => machine.Run(maxInstructions: Limit, cancel: stop.Token));
            }
            finally
            {
                Assert.True(stopper.Join(TimeSpan.FromSeconds(30)));
            }
            interrupted += first.Outcome == RunOutcome.Interrupted ? 1 : 0;
            ulong done = FinishedAfter(machine, first, RunOutcome.Interrupted, Limit);
            Assert.True(whole.Instructions == done && r0 == machine.ReadRegister(Unicorn.ArmRegR0),
                $"attempt {attempt}: {first.Outcome} after {first.Instructions}; {done} instructions in all, r0 {machine.ReadRegister(Unicorn.ArmRegR0)} (one run: {whole.Instructions}, r0 {r0})");
        }
        Assert.True(interrupted > 0, "no run was interrupted");
    }

    [Fact]
    public void A_timeout_landing_anywhere_loses_and_repeats_no_instruction()
    {
        // As above, with the run's timeout doing the stopping: r0 counts the loop's passes, one per two instructions.
        const ulong total = 2_000_000;
        using var machine = RunLimitTests.Looping("");
        var random = new Random(11);
        int timedOut = 0;
        for (int attempt = 0; attempt < 60; attempt++)
        {
            var timeout = TimeSpan.FromMicroseconds(random.Next(0, 3000));
            var first = Bounded(machine, () => machine.Run(maxInstructions: total, timeout: timeout));
            timedOut += first.Outcome == RunOutcome.Timeout ? 1 : 0;
            ulong done = FinishedAfter(machine, first, RunOutcome.Timeout, total);
            Assert.True(done == total && machine.ReadRegister(Unicorn.ArmRegR0) == total / 2,
                $"attempt {attempt}: {first.Outcome} after {first.Instructions}; {done} instructions in all, r0 {machine.ReadRegister(Unicorn.ArmRegR0)} (expected {total / 2})");
        }
        Assert.True(timedOut > 0, "no run timed out");
    }

    [Fact]
    public void A_run_without_limits_ends_at_its_timeout_however_short()
    {
        // Nothing else makes the spinning loop's blocks look at the machine: the timeout alone must end each run.
        using var machine = RunLimitTests.Looping("");
        foreach (double ms in new[] { 0, 0.3, 1, 1.5, 20 })
        {
            var result = Bounded(machine, () => machine.Run(timeout: TimeSpan.FromMilliseconds(ms)));
            Assert.Equal(RunOutcome.Timeout, result.Outcome);
            Assert.True(result.Elapsed >= TimeSpan.FromMilliseconds(ms), $"{ms} ms: ended after {result.Elapsed}");
        }
    }

    // The instructions run in all once a first run that ended with `stopped` is continued to the limit `total`.
    private static ulong FinishedAfter(FirmwareMachine machine, RunResult first, RunOutcome stopped, ulong total)
    {
        if (first.Outcome != stopped)
        {
            Assert.Equal(RunOutcome.InstructionLimit, first.Outcome);
            return first.Instructions;
        }
        if (first.Instructions >= total)
        {
            return first.Instructions;   // stopped right at the limit: nothing is left (a limit of 0 would mean none)
        }
        var rest = Bounded(machine, () => machine.Continue(maxInstructions: total - first.Instructions));
        Assert.Equal(RunOutcome.InstructionLimit, rest.Outcome);
        return first.Instructions + rest.Instructions;
    }

    // On a thread of its own, so that a run that does not end fails the test instead of hanging the suite.
    private static RunResult Bounded(FirmwareMachine machine, Func<RunResult> run)
    {
        RunResult? result = null;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = run();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        });
        thread.Start();
        if (!thread.Join(TimeSpan.FromSeconds(30)))
        {
            machine.RequestStop();
            Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "a run neither ended nor stopped when asked");
            Assert.Fail($"a run did not end in 30 s ({machine.Instructions} instructions)");
        }
        error?.Throw();
        return result!;
    }
}
