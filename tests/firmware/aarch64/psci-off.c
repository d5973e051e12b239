/*
 * PSCI SYSTEM_OFF over HVC on QEMU's virt board with a Cortex-A53, run on MemGate's AArch64 machine and on
 * QEMU, whose outputs the tests compare: the machine powers off (exit status 0) and nothing after the call
 * runs. Prints over the PL011 UART.
 *   qemu-system-aarch64 -M virt -cpu cortex-a53 -nographic -kernel psci-off.elf
 */
#include <stdint.h>

#define UART_DR (*(volatile uint32_t *)0x09000000u)
#define UART_FR (*(volatile uint32_t *)0x09000018u)

static void print(const char *s)
{
    while (*s) {
        while (UART_FR & (1u << 5)) {
        }
        UART_DR = (uint32_t)(uint8_t)*s++;
    }
}

int main(void)
{
    print("powering off\n");
    register uint64_t x0 __asm__("x0") = 0x84000008; /* SYSTEM_OFF */
    __asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
    print("SYSTEM_OFF returned\n");
    for (;;) {
        __asm__ volatile("wfi");
    }
}

#include "start.h"
