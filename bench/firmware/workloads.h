/* The four workloads of the QEMU comparison (bench/qemu-compare.sh), shared by the Cortex-M3 and RV32
   builds. Each image runs one of them (WORKLOAD, set by build.sh), then exits with code 0; the
   board file supplies put(), the timer and the exit. Iteration counts are fixed so both emulators
   execute the same instructions. */
#ifndef WORKLOADS_H
#define WORKLOADS_H
#include <stdint.h>

#define WORKLOAD_COMPUTE 1 /* bitwise CRC-32 over 2 KiB of SRAM, 860 passes (~80 M instructions on M3) */
#define WORKLOAD_STORES 2  /* word stores filling 4 KiB of SRAM, 20,000 passes (~46-51 M instructions) */
#define WORKLOAD_UART 3    /* 1 MiB of text through the UART, polling its status register for every byte */
#define WORKLOAD_IRQ 4     /* 100,000 timer interrupts, one every ~200 instructions, while main counts */

/* Page-aligned so that on the RISC-V board, where code and data share DRAM, no store lands on a page
   holding code (QEMU would take its self-modifying-code path for every one). */
#ifdef __riscv
#define DATA_PAGE __attribute__((aligned(4096)))
#else
#define DATA_PAGE /* flash and SRAM are apart; QEMU's STM32F100 has only 8 KiB of SRAM */
#endif
static uint8_t data[2048] DATA_PAGE;
static volatile uint32_t words[1024] DATA_PAGE;
static volatile uint32_t sink DATA_PAGE;
static volatile uint32_t ticks;

static uint32_t crc32(const uint8_t *p, uint32_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

static void run_workload(void)
{
#if WORKLOAD == WORKLOAD_COMPUTE
    for (uint32_t i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)(i * 7u + 3u);
    }
    uint32_t crc = 0;
    for (int pass = 0; pass < 860; pass++) {
        data[pass] ^= (uint8_t)crc;
        crc = crc32(data, sizeof data);
    }
    sink = crc;
#elif WORKLOAD == WORKLOAD_STORES
    for (uint32_t pass = 0; pass < 20000u; pass++) {
        for (uint32_t i = 0; i < 1024u; i++) {
            words[i] = i + pass;
        }
    }
    sink = words[17];
#elif WORKLOAD == WORKLOAD_UART
    static const char line[64] = "The quick brown fox jumps over the lazy dog. 0123456789 ABCDEF\n";
    for (uint32_t i = 0; i < (1u << 20); i++) {
        put(line[i & 63u]);
    }
#elif WORKLOAD == WORKLOAD_IRQ
    start_timer();
    uint32_t spins = 0;
    while (ticks < 100000u) {
        spins++;
    }
    stop_timer();
    sink = spins;
#else
#error "WORKLOAD must be one of WORKLOAD_COMPUTE, WORKLOAD_STORES, WORKLOAD_UART, WORKLOAD_IRQ"
#endif
}

#endif
