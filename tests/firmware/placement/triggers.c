/* Runs on trigger-board.toml (nothing but memory and the NVIC): interrupts come only from the device's
 * [[interrupt_triggers]]. Enables IRQ 3 and IRQ 5; each handler prints its number over semihosting; after
 * six interrupts, calls marker() (a location trigger's target in a test) and exits with the count. */
#include <stdint.h>

#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100)

extern uint32_t _estack;
static volatile int taken;

static void writec(char c)
{
    register uint32_t r0 __asm__("r0") = 0x03; /* SYS_WRITEC */
    register const char *r1 __asm__("r1") = &c;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
}

static void semihosting_exit(int code)
{
    static volatile uint32_t block[2];
    block[0] = 0x20026;
    block[1] = (uint32_t)code;
    register uint32_t r0 __asm__("r0") = 0x20; /* SYS_EXIT_EXTENDED */
    register volatile uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) { }
}

void Irq3_Handler(void) { writec('3'); taken++; }
void Irq5_Handler(void) { writec('5'); taken++; }
void Irq7_Handler(void) { writec('7'); taken++; }

__attribute__((noinline)) void marker(void) { __asm__ volatile("nop"); }

void Reset_Handler(void)
{
    NVIC_ISER0 = (1u << 3) | (1u << 5) | (1u << 7);
    while (taken < 6) { }
    marker();
    marker();
    writec('\n');
    semihosting_exit(taken);
}

void Default_Handler(void) { semihosting_exit(100); }

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16 + 8])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0, Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
    [16 + 3] = Irq3_Handler, [16 + 5] = Irq5_Handler, [16 + 7] = Irq7_Handler,
};
