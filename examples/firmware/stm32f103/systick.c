/* SysTick example: counts SysTick interrupts (exception entry and return through the machine's NVIC
   model), prints the count over USART1 and exits through semihosting. */
#include "board.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

extern uint32_t _estack;
static volatile uint32_t ticks;

void SysTick_Handler(void)
{
    ticks++;
}

void Reset_Handler(void)
{
    init_memory();
    SYST_RVR = 999u;
    SYST_CVR = 0u;
    SYST_CSR = 7u;                 /* ENABLE | TICKINT | CLKSOURCE */
    while (ticks < 5u) {
        __asm__ volatile("wfi"); /* sleep until the next tick */
    }
    SYST_CSR = 0u;
    const char *text = "ticks: 5\n";
    for (const char *p = text; *p; p++) {
        put(*p);
    }
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
    Default_Handler, Default_Handler, 0, Default_Handler, SysTick_Handler,
};
