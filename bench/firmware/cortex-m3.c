/* Board part of the QEMU comparison for Cortex-M3: MemGate's STM32F103 template and QEMU's
   stm32vldiscovery (STM32F100). USART1 output, SysTick interrupts, semihosting exit. */
#include "../../examples/firmware/stm32f103/board.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static void start_timer(void);
static void stop_timer(void);
#include "workloads.h"

static void start_timer(void)
{
    SYST_RVR = 199u; /* a tick every 200 core clocks */
    SYST_CVR = 0u;
    SYST_CSR = 7u;   /* ENABLE | TICKINT | CLKSOURCE (core clock) */
}

static void stop_timer(void)
{
    SYST_CSR = 0u;
}

void SysTick_Handler(void)
{
    ticks++;
}

extern uint32_t _estack;

void Reset_Handler(void)
{
    init_memory();
    run_workload();
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
    Default_Handler, Default_Handler, 0, Default_Handler, SysTick_Handler,
};
