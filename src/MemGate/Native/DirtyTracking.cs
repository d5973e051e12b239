using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Native;

/// <summary>
/// Write tracking without a fault-handling thread (DESIGN.md: a C# userfaultfd handler deadlocks with the
/// GC): userfaultfd in asynchronous write-protect mode (UFFD_FEATURE_WP_ASYNC, Linux 6.7) lets the kernel
/// resolve write faults itself and remember the written pages; the PAGEMAP_SCAN ioctl on
/// /proc/self/pagemap lists them. The kernel turns on UFFD_FEATURE_WP_UNPOPULATED with asynchronous mode:
/// protecting a range puts a marker into every page-table entry never populated (without one, an unpopulated
/// page would read as written), which for 2 GiB of untouched 4 KiB entries takes 4-7 ms and makes every later
/// scan walk them; see <see cref="Snapshots.GuestSnapshot"/> for how untouched huge-page memory avoids that.
/// </summary>
internal static unsafe partial class DirtyTracking
{
    private const long SysUserfaultfd = 323;
    private const int OpenCloseOnExec = 0x80000;
    private const int OpenNonBlock = 0x800;
    private const ulong UffdApi = 0xAA;
    private const ulong FeatureWpAsync = 1UL << 15;
    private const ulong IoctlApi = 0xC018AA3F;
    private const ulong IoctlRegister = 0xC020AA00;
    private const ulong IoctlWriteProtect = 0xC018AA06;
    private const ulong RegisterModeWp = 2;
    private const ulong WriteProtectModeWp = 1;
    private const ulong IoctlPagemapScan = 0xC0606610;   // _IOWR('f', 16, struct pm_scan_arg)
    private const ulong ScanWriteProtectMatching = 1UL << 0;   // PM_SCAN_WP_MATCHING
    private const ulong ScanCheckWriteProtectAsync = 1UL << 1; // PM_SCAN_CHECK_WPASYNC
    public const ulong PageIsWritten = 1UL << 1;
    public const ulong PageIsFile = 1UL << 2;
    public const ulong PageIsPresent = 1UL << 3;
    public const ulong PageIsSwapped = 1UL << 4;
    public const ulong PageIsZeroPage = 1UL << 5;   // PAGE_IS_PFNZERO: the kernel's shared zero page (or huge zero page)

    [StructLayout(LayoutKind.Sequential)]
    public struct PageRegion
    {
        public ulong Start;
        public ulong End;
        public ulong Categories;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ScanArgument
    {
        public ulong Size, Flags, Start, End, WalkEnd, Vector, VectorLength, MaxPages, CategoryInverted, CategoryMask, CategoryAnyOfMask, ReturnMask;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(SafeFileHandle fd, ulong request, void* argument);

    /// <summary>A userfaultfd in asynchronous write-protect mode, or an exception that says why this kernel cannot.</summary>
    public static SafeFileHandle CreateWriteTracker()
    {
        long fd = Syscall(SysUserfaultfd, OpenCloseOnExec | OpenNonBlock);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new NotSupportedException($"userfaultfd is not available ({FileDescriptors.Describe(errno)}); " +
                "dirty-page tracking needs it (root, or vm.unprivileged_userfaultfd = 1).");
        }
        var handle = new SafeFileHandle((nint)fd, ownsHandle: true);
        ulong* api = stackalloc ulong[3] { UffdApi, FeatureWpAsync, 0 };
        if (Ioctl(handle, IoctlApi, api) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new NotSupportedException($"this kernel lacks asynchronous userfaultfd write protection (UFFDIO_API: {FileDescriptors.Describe(errno)}); " +
                "dirty-page tracking needs Linux 6.7 or later.");
        }
        return handle;
    }

    /// <summary>EBUSY from <see cref="Track"/>: another userfaultfd already has the range.</summary>
    public const int AlreadyTracked = 16;

    /// <summary>Registers [start, start + length) for write protection and protects it: the next write to each page is remembered.</summary>
    public static void Track(SafeFileHandle tracker, nint start, ulong length)
    {
        ulong* register = stackalloc ulong[4] { (ulong)start, length, RegisterModeWp, 0 };
        if (Ioctl(tracker, IoctlRegister, register) != 0)
        {
            throw NativeMemoryException.FromErrno($"UFFDIO_REGISTER(0x{start:x}, {length:N0} bytes)");
        }
        Protect(tracker, start, length);
    }

    /// <summary>Write-protects a tracked range again: what was written so far no longer counts.</summary>
    public static void Protect(SafeFileHandle tracker, nint start, ulong length)
    {
        ulong* protect = stackalloc ulong[3] { (ulong)start, length, WriteProtectModeWp };
        if (Ioctl(tracker, IoctlWriteProtect, protect) != 0)
        {
            throw NativeMemoryException.FromErrno($"UFFDIO_WRITEPROTECT(0x{start:x}, {length:N0} bytes)");
        }
    }

    /// <summary>/proc/self/pagemap, for <see cref="Scan"/>.</summary>
    public static SafeFileHandle OpenPagemap()
    {
        int errno = FileDescriptors.TryOpen("/proc/self/pagemap", FileDescriptors.ReadOnly, out var handle);
        return handle ?? throw new NotSupportedException($"/proc/self/pagemap cannot be opened ({FileDescriptors.Describe(-errno)}).");
    }

    /// <summary>
    /// Lists the page ranges in [start, end) that have any of <paramref name="anyOf"/>'s categories into
    /// <paramref name="output"/>; pages with any of <paramref name="noneOf"/>'s categories are left out. Returns how many ranges were filled and where the walk stopped
    /// (a full vector or many regions stop it early: call again from there).
    /// </summary>
    public static int Scan(SafeFileHandle pagemap, ulong start, ulong end, ulong anyOf, Span<PageRegion> output, out ulong walkEnd, ulong noneOf = 0) =>
        ScanCore(pagemap, 0, start, end, anyOf, output, out walkEnd, noneOf);

    /// <summary>
    /// Write-protects again the written pages of [start, end) of a tracked range as one walk of its page table
    /// passes them (PM_SCAN_WP_MATCHING; a TLB flush per page table changed), instead of one <see cref="Protect"/>
    /// call (and TLB flush) per run of pages.
    /// </summary>
    public static void ProtectWritten(SafeFileHandle pagemap, ulong start, ulong end)
    {
        while (start < end)
        {
            // No output list: the kernel then protects in its tightest loop, and no full list stops the walk early.
            ScanCore(pagemap, ScanWriteProtectMatching | ScanCheckWriteProtectAsync, start, end, 0, [], out ulong walkEnd, noneOf: 0, all: PageIsWritten);
            if (walkEnd <= start)
            {
                break;
            }
            start = walkEnd;
        }
    }

    // Linux 6.7 and 6.8 read the write-protect bit of a swapped-out entry in that fast loop as if it were present (a bit of
    // the swap offset), missing written pages that were swapped out; 6.9 fixed it ("fix uffd-wp confusion in
    // pagemap_scan_pmd_entry"). Older kernels take the general loop.
    private static readonly bool FastWalkIsSound = Environment.OSVersion.Version >= new Version(6, 9);

    private static int ScanCore(SafeFileHandle pagemap, ulong flags, ulong start, ulong end, ulong anyOf, Span<PageRegion> output, out ulong walkEnd, ulong noneOf, ulong all = 0)
    {
        if (noneOf == 0 && all == 0 && ulong.IsPow2(anyOf) && FastWalkIsSound)
        {
            // "Any of" one category is "all of" it; asked that way for written pages, the kernel checks each entry
            // in a tight loop (its fast path), which halves a walk over many 4 KiB entries.
            (all, anyOf) = (anyOf, 0);
        }
        fixed (PageRegion* vector = output)
        {
            var argument = new ScanArgument
            {
                Size = (ulong)sizeof(ScanArgument),
                Flags = flags,
                Start = start,
                End = end,
                Vector = (ulong)vector,
                VectorLength = (ulong)output.Length,
                CategoryInverted = noneOf,
                CategoryMask = noneOf | all,
                CategoryAnyOfMask = anyOf,
                ReturnMask = anyOf | all,
            };
            int n = Ioctl(pagemap, IoctlPagemapScan, &argument);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw errno == 25 // ENOTTY: no PAGEMAP_SCAN
                    ? new NotSupportedException("this kernel has no PAGEMAP_SCAN (Linux 6.7 or later is needed for dirty-page tracking).")
                    : NativeMemoryException.FromErrno($"PAGEMAP_SCAN(0x{start:x}–0x{end:x})");
            }
            walkEnd = argument.WalkEnd;
            return n;
        }
    }
}
