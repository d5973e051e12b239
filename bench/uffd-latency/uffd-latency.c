// What it would cost to track guest writes with a userfaultfd handler thread instead of MemGate's scan
// (asynchronous write protection + PAGEMAP_SCAN): the wait of each first write to a page for the handler, with
// the handler free to run on the other core or pinned to the writer's core; and, for the scan that MemGate uses,
// one restore of N written pages of 2 GiB with and without transparent huge pages, protecting the pages again per
// run or by a second walk, beside the floor: a scan of the 2 GiB with nothing written.
//   uffd-latency [PAGES]   (default 16; 2 GiB of RAM, filled; five rounds each, the last four reported)
// Needs userfaultfd (root or vm.unprivileged_userfaultfd = 1) and Linux 6.7 for the scan. Build: cc -O2 -pthread.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SIZE (2UL << 30)
#define HUGE (2UL << 20)
#define FEATURE_WP_ASYNC (1UL << 15)
#define PAGE_IS_WRITTEN 2UL
#define PAGEMAP_SCAN 0xC0606610UL
#define PM_SCAN_WP_MATCHING 1UL
#define PM_SCAN_CHECK_WPASYNC 2UL
struct page_region { unsigned long start, end, categories; };
struct pm_scan_arg { unsigned long size, flags, start, end, walk_end, vec, vec_len, max_pages, inverted, mask, anyof, ret; };

static int uffd;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static void die(const char *what) { perror(what); exit(1); }

static char *ram(int huge)
{
    char *raw = mmap(0, SIZE + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) die("mmap");
    char *mem = (char *)(((unsigned long)raw + HUGE - 1) & ~(HUGE - 1));
    madvise(mem, SIZE, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    memset(mem, 0x5a, SIZE);
    return mem;
}

static int tracker(char *mem, unsigned long features)
{
    int fd = syscall(SYS_userfaultfd, O_CLOEXEC);
    if (fd < 0) die("userfaultfd");
    struct uffdio_api api = { UFFD_API, features, 0 };
    if (ioctl(fd, UFFDIO_API, &api)) die("UFFDIO_API");
    struct uffdio_register reg = { { (unsigned long)mem, SIZE }, UFFDIO_REGISTER_MODE_WP, 0 };
    if (ioctl(fd, UFFDIO_REGISTER, &reg)) die("UFFDIO_REGISTER");
    struct uffdio_writeprotect wp = { { (unsigned long)mem, SIZE }, UFFDIO_WRITEPROTECT_MODE_WP };
    if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp)) die("UFFDIO_WRITEPROTECT");
    return fd;
}

static void protect(int fd, unsigned long at, unsigned long length, int on)
{
    struct uffdio_writeprotect wp = { { at, length }, on ? UFFDIO_WRITEPROTECT_MODE_WP : 0 };
    if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp)) die("UFFDIO_WRITEPROTECT");
}

static void *handler(void *unused)
{
    (void)unused;
    for (;;) {
        struct uffd_msg msg;
        if (read(uffd, &msg, sizeof msg) != sizeof msg || msg.event != UFFD_EVENT_PAGEFAULT) continue;
        protect(uffd, msg.arg.pagefault.address & ~4095UL, 4096, 0);
    }
    return NULL;
}

static char *copy;
static int pagemap;

// One walk of the 2 GiB: lists written runs, copying each back (fd > 0: and protecting it again when per_run),
// or (fd < 0) protects every written page as it walks. Returns the time spent in the kernel's walk.
static double scan_runs(char *mem, int fd, int per_run)
{
    unsigned long start = (unsigned long)mem, end = start + SIZE;
    struct page_region runs[256];
    double in_scan = 0;
    while (start < end) {
        // Asked as "all of" the written category (not "any of"), the kernel takes its fast path: a tight loop per entry.
        struct pm_scan_arg arg = { .size = sizeof arg, .start = start, .end = end, .vec = (unsigned long)runs, .vec_len = 256,
                                   .mask = PAGE_IS_WRITTEN, .ret = PAGE_IS_WRITTEN };
        if (fd < 0) { arg.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC; arg.vec = 0; arg.vec_len = 0; }   // protect only: no list
        double s0 = now();
        int n = ioctl(pagemap, PAGEMAP_SCAN, &arg);
        in_scan += now() - s0;
        if (n < 0) die("PAGEMAP_SCAN");
        for (int i = 0; fd > 0 && i < n; i++) {
            memcpy((void *)runs[i].start, copy + (runs[i].start - (unsigned long)mem), runs[i].end - runs[i].start);
            if (per_run) protect(fd, runs[i].start, runs[i].end - runs[i].start, 1);
        }
        if (arg.walk_end <= start) break;
        start = arg.walk_end;
    }
    return in_scan;
}

int main(int argc, char **argv)
{
    int pages = argc > 1 ? atoi(argv[1]) : 16;
    unsigned long *at = malloc(pages * sizeof *at);
    srand(1);
    for (int i = 0; i < pages; i++) at[i] = (unsigned long)(rand() % (SIZE / 4096)) * 4096;

    // 1. A handler thread: the first write to each page waits for it.
    for (int pinned = 0; pinned < 2; pinned++) {
        char *mem = ram(0);
        uffd = tracker(mem, 0);
        if (pinned) { cpu_set_t one; CPU_ZERO(&one); CPU_SET(sched_getcpu(), &one); sched_setaffinity(0, sizeof one, &one); }
        pthread_t thread;
        pthread_create(&thread, NULL, handler, NULL);
        double sum = 0;
        for (int round = 0; round < 5; round++) {
            double t0 = now();
            for (int i = 0; i < pages; i++) *(volatile int *)(mem + at[i]) = round;
            if (round) sum += now() - t0;
            for (int i = 0; i < pages; i++) protect(uffd, (unsigned long)mem + at[i], 4096, 1);
        }
        printf("handler thread%s: %.1f us per first write (%d pages)\n", pinned ? " on the writer's core" : "", sum / 4 / pages, pages);
        pthread_cancel(thread);
        pthread_join(thread, NULL);
        if (pinned) { cpu_set_t all; CPU_ZERO(&all); for (int c = 0; c < CPU_SETSIZE; c++) CPU_SET(c, &all); sched_setaffinity(0, sizeof all, &all); }
        close(uffd);
        munmap(mem, SIZE);   // the rest of the reservation stays: a benchmark
    }

    // 2. The scan MemGate uses: restore = scan for written pages, copy each back, protect them again, either one
    //    call per run or one more walk that protects every written page (PM_SCAN_WP_MATCHING); and the floor under
    //    both, a scan of the 2 GiB with nothing written.
    copy = malloc(SIZE);
    memset(copy, 0x5a, SIZE);
    pagemap = open("/proc/self/pagemap", O_RDONLY);
    for (int huge = 1; huge >= 0; huge--) {
        char *mem = ram(huge);
        int fd = tracker(mem, FEATURE_WP_ASYNC);
        double floor = 0;
        for (int round = 0; round < 5; round++) {
            double t0 = now();
            scan_runs(mem, 0, 0);
            if (round) floor += now() - t0;
        }
        printf("scan of 2 GiB, %s pages, nothing written: %.0f us\n", huge ? "2 MiB" : "4 KiB", floor / 4);
        for (int walk = 0; walk < 2; walk++) {
            double sum = 0, scan = 0;
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < pages; i++) *(volatile int *)(mem + at[i]) = round;
                double t0 = now();
                double in_scan = scan_runs(mem, fd, walk ? 0 : 1);
                if (walk) scan_runs(mem, -1, 0);   // protect every written page in one walk
                if (round) { sum += now() - t0; scan += in_scan; }
            }
            printf("scan restore, %s pages, protected again %s: %.0f us for %d written pages of 2 GiB (the first scan %.0f us)\n",
                   huge ? "2 MiB" : "4 KiB", walk ? "by a second walk" : "per run", sum / 4, pages, scan / 4);
        }
        close(fd);
        munmap(mem, SIZE);
    }
    return 0;
}
