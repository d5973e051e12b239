/*
 * Cortex-A53 'virt' hello: prints over the PL011 UART at 0x09000000 and exits with ARM semihosting
 * (SYS_EXIT, ADP_Stopped_ApplicationExit). Runs unchanged on QEMU:
 *   qemu-system-aarch64 -M virt -cpu cortex-a53 -nographic -semihosting -kernel hello.elf
 */
#include <stdint.h>

#define UART_DR (*(volatile uint32_t *)0x09000000u)
#define UART_FR (*(volatile uint32_t *)0x09000018u)
#define FR_TXFF (1u << 5)

static void putc_uart(char c)
{
    while (UART_FR & FR_TXFF) {
    }
    UART_DR = (uint32_t)(uint8_t)c;
}

static void puts_uart(const char *s)
{
    while (*s) {
        putc_uart(*s++);
    }
}

static uint64_t fibonacci(unsigned n)
{
    uint64_t a = 0, b = 1;
    while (n--) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

static void put_hex(uint64_t v)
{
    puts_uart("0x");
    for (int shift = 60; shift >= 0; shift -= 4) {
        putc_uart("0123456789abcdef"[(v >> shift) & 0xF]);
    }
    putc_uart('\n');
}

/* AArch64 semihosting: operation in w0, parameter block address in x1, then HLT #0xF000. */
static void semihosting_exit(uint64_t code)
{
    uint64_t block[2] = { 0x20026, code }; /* ADP_Stopped_ApplicationExit, exit code */
    register uint64_t op __asm__("x0") = 0x18; /* SYS_EXIT */
    register uint64_t arg __asm__("x1") = (uint64_t)block;
    __asm__ volatile("hlt #0xf000" ::"r"(op), "r"(arg) : "memory");
    for (;;) {
    }
}

void exit_with(int code);
int main(void);

int main(void)
{
    puts_uart("Hello from Cortex-A53 virt!\n");
    puts_uart("fib(90) = ");
    put_hex(fibonacci(90));
    return 0;
}

void exit_with(int code)
{
    semihosting_exit((uint64_t)code);
}

/* Reset: a stack at the top of the RAM used, main, then its result as the exit code. */
__asm__(".section .text.start, \"ax\"\n"
        ".global _start\n"
        "_start:\n"
        "    ldr x0, =_stack_top\n"
        "    mov sp, x0\n"
        "    bl main\n"
        "    b exit_with\n"
        "    .ltorg\n");
