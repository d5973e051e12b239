/*
 * A fuzzing target with a planted bug, for the STM32F103: it reads bytes from ADC1's data register (a
 * peripheral nothing models, so a fuzzer's input answers the reads) and crashes, writing to unmapped
 * memory, when they spell "FUZ!". Each byte compared is its own branch, so edge coverage leads a fuzzer
 * there byte by byte. Any other input exits 0. No HardFault handler: the fault ends the run.
 */
#include <stdint.h>

#define ADC1_DR (*(volatile uint8_t *)0x4001244Cu)
extern uint32_t _estack;

__attribute__((noreturn)) static void exit_with(int code)
{
    uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

__attribute__((noinline)) void parse(void)
{
    if (ADC1_DR == 'F') {
        if (ADC1_DR == 'U') {
            if (ADC1_DR == 'Z') {
                if (ADC1_DR == '!') {
                    *(volatile uint32_t *)0x30000000u = 0xDEADu; /* the bug */
                }
            }
        }
    }
}

__attribute__((noreturn)) void Reset_Handler(void)
{
    parse();
    exit_with(0);
}

__attribute__((section(".isr_vector"), used)) static void (*const vectors[2])(void) = {
    (void (*)(void))&_estack, Reset_Handler,
};
