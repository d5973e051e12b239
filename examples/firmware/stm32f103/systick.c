/* SysTick example: counts SysTick interrupts (exception entry and return through the machine's NVIC
   model), prints the count over USART1 and exits through semihosting. */
#include <stdint.h>

#define USART1_SR (*(volatile uint32_t *)0x40013800u)
#define USART1_DR (*(volatile uint32_t *)0x40013804u)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

extern uint32_t _estack;
static volatile uint32_t ticks;

static void put(char c)
{
    while (!(USART1_SR & (1u << 7))) {
    }
    USART1_DR = (uint8_t)c;
}

static void semihosting_exit(void)
{
    register uint32_t r0 __asm__("r0") = 0x18u;
    register uint32_t r1 __asm__("r1") = 0x20026u;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

void SysTick_Handler(void)
{
    ticks++;
}

void Reset_Handler(void)
{
    SYST_RVR = 999u;
    SYST_CVR = 0u;
    SYST_CSR = 7u;                 /* ENABLE | TICKINT | CLKSOURCE */
    while (ticks < 5u) {
    }
    SYST_CSR = 0u;
    const char *text = "ticks: 5\n";
    for (const char *p = text; *p; p++) {
        put(*p);
    }
    semihosting_exit();
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
    Default_Handler, Default_Handler, 0, Default_Handler, SysTick_Handler,
};
