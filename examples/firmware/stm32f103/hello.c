/* STM32F103 hello: prints over USART1 and leaves through ARM semihosting (SYS_EXIT).
   Bare metal, no libc: the vector table is here; init_memory (board.h) copies .data and clears .bss. */
#include "board.h"


extern uint32_t _estack;

static const char greeting[] = "Hello from STM32F103!\n";
static volatile uint32_t counter = 42; /* .data: stored in flash, copied to SRAM at reset */
static volatile uint32_t zeroed;       /* .bss */

void Reset_Handler(void)
{
    init_memory();
    for (const char *p = greeting; *p; p++) {
        put(*p);
    }
    counter = counter + 1;
    semihosting_exit_code((int)(counter + zeroed - 43));
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
    Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
};
