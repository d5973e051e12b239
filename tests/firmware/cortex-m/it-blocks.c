/*
 * SVCs inside Thumb IT blocks, run on MemGate's STM32F103 machine and on QEMU's stm32vldiscovery, whose
 * outputs the tests compare. Exception entry leaves the IT block (the handler runs unconditionally) and the
 * stacked xPSR keeps its state, which the return puts back: the block's remaining instructions run or are
 * skipped by their own conditions (ARMv7-M B1.5.6, B1.5.8). Prints over USART1 and exits through semihosting.
 *   qemu-system-arm -M stm32vldiscovery -display none -serial stdio -semihosting-config enable=on,target=native -kernel it-blocks.elf
 */
#include "hex.h"

extern uint32_t _estack;
static volatile uint32_t svcs;

/* Naked: its first instruction would be skipped if the IT block's "else" slot carried into the handler. */
__attribute__((naked)) void SVC_Handler(void)
{
    __asm__ volatile("movs r2, #1\n ldr r3, =svcs\n ldr r1, [r3]\n add r1, r1, r2\n str r1, [r3]\n bx lr\n" ::: "memory");
}

/* ite eq with Z set: the SVC runs, then the block's "ne" instruction is skipped. */
static uint32_t svc_then_else(void)
{
    uint32_t v = 0;
    __asm__ volatile("cmp %0, %0\n ite eq\n svceq #0\n movne %0, #1\n" : "+l"(v) : : "cc", "memory");
    return v;
}

/* itte eq with Z set: after the SVC, the second "eq" instruction runs and the "ne" one is skipped. */
static uint32_t svc_then_two(void)
{
    uint32_t v = 0;
    __asm__ volatile("cmp %0, %0\n itte eq\n svceq #0\n addeq %0, %0, #2\n addne %0, %0, #4\n" : "+l"(v) : : "cc", "memory");
    return v;
}

void Reset_Handler(void)
{
    init_memory();
    USART1_CR1 = (1u << 13) | (1u << 3);
    print("IT blocks on Cortex-M3\n");
    uint32_t a = svc_then_else();
    print("ite eq, svceq, movne: movne gave ");
    hex(a);
    print(", SVCs ");
    hex(svcs);
    print("\n");
    uint32_t b = svc_then_two();
    print("itte eq, svceq, addeq #2, addne #4: ");
    hex(b);
    print(", SVCs ");
    hex(svcs);
    print("\n");
    semihosting_exit_code(a == 0 && b == 2 && svcs == 2 ? 0 : 1);
}

void Default_Handler(void) { semihosting_exit_code(98); }

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    0, 0, 0, 0, SVC_Handler, 0, 0, Default_Handler, Default_Handler,
};
