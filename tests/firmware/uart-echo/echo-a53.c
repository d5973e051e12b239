/* UART echo for the Cortex-A53 virt board: the PL011 at 0x09000000, polled (FR.RXFE), letters echoed in
   upper case; Ctrl-D (0x04) ends the run through semihosting with the number of bytes echoed. */
#include <stdint.h>

#define UART_DR (*(volatile uint32_t *)0x09000000u)
#define UART_FR (*(volatile uint32_t *)0x09000018u)
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)

static void put(char c)
{
    while (UART_FR & FR_TXFF) {
    }
    UART_DR = (uint32_t)(uint8_t)c;
}

static void print(const char *s)
{
    while (*s) {
        put(*s++);
    }
}

static void semihosting_exit(uint64_t code)
{
    uint64_t block[2] = { 0x20026, code };
    register uint64_t op __asm__("x0") = 0x18;
    register uint64_t arg __asm__("x1") = (uint64_t)block;
    __asm__ volatile("hlt #0xf000" ::"r"(op), "r"(arg) : "memory");
    for (;;) {
    }
}

int main(void)
{
    print("echo ready\n");
    uint64_t echoed = 0;
    for (;;) {
        while (UART_FR & FR_RXFE) {
        }
        uint8_t c = (uint8_t)UART_DR;
        if (c == 0x04) {
            print("\nbye\n");
            semihosting_exit(echoed % 100u);
        }
        put(c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : (char)c);
        echoed++;
    }
}

__asm__(".section .text.start, \"ax\"\n"
        ".global _start\n"
        "_start:\n"
        "    ldr x0, =_stack_top\n"
        "    mov sp, x0\n"
        "    bl main\n"
        "1:  b 1b\n"
        "    .ltorg\n");
