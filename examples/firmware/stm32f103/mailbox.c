/* Mailbox example: the firmware waits until another process writes a word into its SRAM, then prints
   it and exits. Run it with `memgate run mailbox.elf --device STM32F103 --shared-memory`, link the
   SRAM into another process (`memgate ps link`) and write the `mailbox` symbol's word there. */
#include "board.h"

extern uint32_t _estack;
volatile uint32_t mailbox;   /* .bss: zero at reset */

static void print_hex(uint32_t value)
{
    print("0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
        put("0123456789ABCDEF"[(value >> shift) & 0xFu]);
    }
    put('\n');
}

void Reset_Handler(void)
{
    init_memory();
    mailbox = 0;
    print("waiting for the mailbox\n");
    while (mailbox == 0u) {
    }
    print("mailbox: ");
    print_hex(mailbox);
    semihosting_exit(ADP_STOPPED_APPLICATION_EXIT);
}

void Default_Handler(void)
{
    semihosting_exit(ADP_STOPPED_RUNTIME_ERROR_UNKNOWN);
}

__attribute__((section(".isr_vector"), used))
static void (*const vectors[16])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0,
    Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
};
