// Copying scattered 4 KiB pages back, as a snapshot restore does: ordinary stores (memcpy) against non-temporal
// (streaming) stores, for a growing number of pages of 2 GiB, each followed by what the next run does with them
// (reads a quarter of each page's lines). Streaming skips reading each destination line first; ordinary stores
// leave the lines cached for the next run. Where the two sums cross is where MemGate starts streaming.
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#define SIZE (2UL << 30)
#define PAGE 4096UL

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }

static void stream(char *to, const char *from)
{
    for (unsigned long i = 0; i < PAGE; i += 64) {
        __m256i low = _mm256_load_si256((const __m256i *)(from + i)), high = _mm256_load_si256((const __m256i *)(from + i + 32));
        _mm256_stream_si256((__m256i *)(to + i), low);
        _mm256_stream_si256((__m256i *)(to + i + 32), high);
    }
}

static int ascending(const void *a, const void *b) { unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b; return x < y ? -1 : x > y; }

int main(void)
{
    char *memory = mmap(0, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *copy = mmap(0, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED || copy == MAP_FAILED) { perror("mmap"); return 1; }
    madvise(memory, SIZE, MADV_HUGEPAGE); memset(memory, 0x5a, SIZE);
    madvise(copy, SIZE, MADV_HUGEPAGE); memset(copy, 0x5a, SIZE);
    const int counts[] = { 16, 256, 1024, 2048, 3072, 4096, 5243 };
    srand(1);
    for (unsigned c = 0; c < sizeof counts / sizeof *counts; c++) {
        int pages = counts[c];
        unsigned long *at = malloc(pages * sizeof *at);
        for (int i = 0; i < pages; i++) at[i] = (unsigned long)(rand() % (SIZE / PAGE)) * PAGE;
        qsort(at, pages, sizeof *at, ascending);   // the kernel's walk reports them in address order
        for (int streaming = 0; streaming < 2; streaming++) {
            const int rounds = 200;
            double copying = 0, reuse = 0;
            volatile long sink = 0;
            for (int round = 0; round <= rounds; round++) {
                for (int i = 0; i < pages; i++)
                    for (unsigned long line = 0; line < PAGE; line += 256) *(volatile int *)(memory + at[i] + line) = round;   // the run writes
                double start = now();
                for (int i = 0; i < pages; i++) {
                    if (i + 1 < pages) { __builtin_prefetch(copy + at[i + 1]); __builtin_prefetch(memory + at[i + 1], 1); }
                    if (streaming) stream(memory + at[i], copy + at[i]); else memcpy(memory + at[i], copy + at[i], PAGE);
                }
                _mm_sfence();
                double copied = now();
                for (int i = 0; i < pages; i++)
                    for (unsigned long line = 0; line < PAGE; line += 256) sink += *(volatile int *)(memory + at[i] + line);   // the next run reads
                if (round) { copying += copied - start; reuse += now() - copied; }   // round 0 warms up
            }
            printf("%5d pages, %-9s: copy %7.1f us, next run's reads %7.1f us, sum %7.1f us\n", pages,
                   streaming ? "streaming" : "ordinary", copying / rounds, reuse / rounds, (copying + reuse) / rounds);
        }
        free(at);
    }
    return 0;
}
