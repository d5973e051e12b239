/*
 * RISC-V 'virt' hello, built for RV32 (hello-rv32.elf) and RV64 (hello-rv64.elf): prints over the
 * ns16550a UART at 0x10000000, takes three machine timer interrupts from the CLINT (mtimecmp at
 * 0x02004000, mtime at 0x0200BFF8), and powers off through the SiFive test device at 0x00100000
 * (0x5555 = pass). Runs unchanged on QEMU:
 *   qemu-system-riscv32 -M virt -bios none -nographic -kernel hello-rv32.elf
 *   qemu-system-riscv64 -M virt -bios none -nographic -kernel hello-rv64.elf
 */
#include <stdint.h>

#define UART_THR (*(volatile uint8_t *)0x10000000u)
#define UART_LSR (*(volatile uint8_t *)0x10000005u)
#define LSR_THRE 0x20u
#define CLINT_MTIMECMP_LO (*(volatile uint32_t *)0x02004000u)
#define CLINT_MTIMECMP_HI (*(volatile uint32_t *)0x02004004u)
#define CLINT_MTIME_LO (*(volatile uint32_t *)0x0200BFF8u)
#define TEST_FINISHER (*(volatile uint32_t *)0x00100000u)
#define TICK 2000u

static volatile unsigned ticks;

static void putc_uart(char c)
{
    while ((UART_LSR & LSR_THRE) == 0) {
    }
    UART_THR = (uint8_t)c;
}

static void puts_uart(const char *s)
{
    while (*s) {
        putc_uart(*s++);
    }
}

static void arm_timer(void)
{
    /* Writing the high word first to all ones keeps the compare from firing between the two stores. */
    uint32_t next = CLINT_MTIME_LO + TICK;
    CLINT_MTIMECMP_HI = 0xFFFFFFFFu;
    CLINT_MTIMECMP_LO = next;
    CLINT_MTIMECMP_HI = 0;
}

__attribute__((interrupt("machine"), aligned(4))) static void trap_handler(void)
{
    uintptr_t cause;
    __asm__ volatile("csrr %0, mcause" : "=r"(cause));
    if (cause == (((uintptr_t)1 << (__riscv_xlen - 1)) | 7u)) { /* machine timer interrupt */
        ticks++;
        if (ticks < 3) {
            arm_timer();
        } else {
            CLINT_MTIMECMP_HI = 0xFFFFFFFFu; /* no more */
        }
    } else {
        TEST_FINISHER = 0x3333u | ((uint32_t)cause << 16); /* unexpected trap: fail with its cause */
    }
}

int main(void)
{
#if __riscv_xlen == 64
    puts_uart("Hello from RV64 virt!\n");
#else
    puts_uart("Hello from RV32 virt!\n");
#endif
    __asm__ volatile("csrw mtvec, %0" ::"r"(&trap_handler));
    arm_timer();
    __asm__ volatile("csrs mie, %0" ::"r"((uintptr_t)1 << 7));    /* MTIE */
    __asm__ volatile("csrs mstatus, %0" ::"r"((uintptr_t)1 << 3)); /* MIE */
    while (ticks < 3) {
        __asm__ volatile("wfi"); /* sleep until the timer interrupt */
    }
    puts_uart("ticks: 3\n");
    return 0;
}

__attribute__((naked, section(".text.start"))) void _start(void)
{
    __asm__ volatile(
        "la sp, _stack_top\n"
        "la t0, _sbss\n"
        "la t1, _ebss\n"
        "1: bgeu t0, t1, 2f\n"
        "sb zero, 0(t0)\n"
        "addi t0, t0, 1\n"
        "j 1b\n"
        "2: call main\n"
        "slli a0, a0, 16\n"
        "li t0, 0x5555\n"
        "beqz a0, 3f\n"
        "li t0, 0x3333\n"
        "3: or t0, t0, a0\n"
        "li t1, 0x00100000\n"
        "sw t0, 0(t1)\n"
        "4: j 4b\n");
}
