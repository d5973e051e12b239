/* What the AArch64 differential programs print and exit with: PL011 output (0x, the hex digits, no leading zeros;
   name=value fields) and semihosting SYS_EXIT_EXTENDED. Header-only (static), so each program stays one translation
   unit; include after <stdint.h> and the UART_DR/UART_FR definitions. */
#ifndef PRINT_H
#define PRINT_H
static void put(char c)
{
    while (UART_FR & (1u << 5)) {
    }
    UART_DR = (uint32_t)(uint8_t)c;
}

static void print(const char *s)
{
    while (*s) {
        put(*s++);
    }
}

static void hex(uint64_t v)
{
    print("0x");
    int started = 0;
    for (int shift = 60; shift >= 0; shift -= 4) {
        unsigned digit = (v >> shift) & 0xFu;
        if (digit || started || shift == 0) {
            put("0123456789abcdef"[digit]);
            started = 1;
        }
    }
}

static void field(const char *name, uint64_t v)
{
    print(name);
    print("=");
    hex(v);
    print(" ");
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
#endif
