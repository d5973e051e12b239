/* Benchmark firmware: a compute loop, then a store-heavy loop over SRAM, then semihosting SYS_EXIT.
   The iteration counts are fixed so each run executes the same instructions. loop_mode picks the
   loops (1 compute, 2 stores, 3 both); the benchmark patches it in flash through the symbol table. */
#include "board.h"

extern uint32_t _estack;
static volatile uint32_t sink;
static uint32_t buffer[1024];
/* In flash (.rodata), so a benchmark can patch it in the image before a run; read through a volatile
   pointer so the compiler cannot fold the value in. */
__attribute__((used)) const uint32_t loop_mode = 3u;

void Reset_Handler(void)
{
    init_memory();
    uint32_t mode = *(const volatile uint32_t *)&loop_mode;
    uint32_t x = 1;
    if (mode & 1u) {
        for (uint32_t i = 0; i < 2000000u; i++) {      /* compute: xorshift */
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
        }
    }
    sink = x;
    if (mode & 2u) {
        for (uint32_t round = 0; round < 500u; round++) {   /* store-heavy: 512 000 word stores */
            for (uint32_t i = 0; i < 1024u; i++) {
                buffer[i] = i + round;
            }
        }
    }
    sink = buffer[17];
    semihosting_exit(ADP_STOPPED_APPLICATION_EXIT);
}

void Default_Handler(void)
{
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used))
static void (*const vectors[16])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0,
    Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
};
