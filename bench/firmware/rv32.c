/* Board part of the QEMU comparison for RV32: MemGate's RV32 template and QEMU's riscv32 virt
   (-bios none). ns16550a output, CLINT timer interrupts, SiFive test device exit. */
#include <stdint.h>

#define UART_THR (*(volatile uint8_t *)0x10000000u)
#define UART_LSR (*(volatile uint8_t *)0x10000005u)
#define CLINT_MTIMECMP_LO (*(volatile uint32_t *)0x02004000u)
#define CLINT_MTIMECMP_HI (*(volatile uint32_t *)0x02004004u)
#define CLINT_MTIME_LO (*(volatile uint32_t *)0x0200BFF8u)
#define TEST_FINISHER (*(volatile uint32_t *)0x00100000u)
#define TICK 20u /* mtime ticks between interrupts */

static void put(char c)
{
    while ((UART_LSR & 0x20u) == 0) {
    }
    UART_THR = (uint8_t)c;
}

static void start_timer(void);
static void stop_timer(void);
#include "workloads.h"

static void arm_timer(void)
{
    uint32_t next = CLINT_MTIME_LO + TICK;
    CLINT_MTIMECMP_HI = 0xFFFFFFFFu;
    CLINT_MTIMECMP_LO = next;
    CLINT_MTIMECMP_HI = 0;
}

__attribute__((interrupt("machine"), aligned(4))) static void trap_handler(void)
{
    ticks++;
    arm_timer();
}

static void start_timer(void)
{
    __asm__ volatile("csrw mtvec, %0" ::"r"(&trap_handler));
    arm_timer();
    __asm__ volatile("csrs mie, %0" ::"r"((uintptr_t)1 << 7));    /* MTIE */
    __asm__ volatile("csrs mstatus, %0" ::"r"((uintptr_t)1 << 3)); /* MIE */
}

static void stop_timer(void)
{
    __asm__ volatile("csrc mstatus, %0" ::"r"((uintptr_t)1 << 3));
    CLINT_MTIMECMP_HI = 0xFFFFFFFFu;
}

int main(void)
{
    run_workload();
    return 0;
}

extern uint32_t _sbss, _ebss;

__attribute__((noreturn)) void start(void)
{
    for (uint32_t *p = &_sbss; p < &_ebss; p++) {
        *p = 0;
    }
    TEST_FINISHER = main() == 0 ? 0x5555u : 0x3333u;
    for (;;) {
    }
}

__attribute__((naked, section(".text.start"))) void _start(void)
{
    __asm__ volatile(
        "la sp, _stack_top\n"
        "j start\n");
}
