/* STM32F103 hello: prints over USART1 and leaves through ARM semihosting (SYS_EXIT).
   Bare metal, no libc: the vector table, the .data copy and the .bss clear are here. */
#include <stdint.h>

#define USART1_SR (*(volatile uint32_t *)0x40013800u)
#define USART1_DR (*(volatile uint32_t *)0x40013804u)
#define USART_SR_TXE (1u << 7)

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

static const char greeting[] = "Hello from STM32F103!\n";
static volatile uint32_t counter = 42; /* .data: stored in flash, copied to SRAM at reset */
static volatile uint32_t zeroed;       /* .bss */

static void put(char c)
{
    while (!(USART1_SR & USART_SR_TXE)) {
    }
    USART1_DR = (uint8_t)c;
}

static void semihosting_exit(int code)
{
    /* SYS_EXIT_EXTENDED (0x20): block = {ADP_Stopped_ApplicationExit, code} */
    uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    for (const char *p = greeting; *p; p++) {
        put(*p);
    }
    counter = counter + 1;
    semihosting_exit((int)(counter + zeroed - 43));
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
