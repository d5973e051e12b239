/* Shared by the STM32F103 examples: USART1 output (polling TXE) and ARM semihosting exits.
   Header-only (static inline) so each example stays one translation unit. */
#ifndef BOARD_H
#define BOARD_H
#include <stdint.h>

#define USART1_SR (*(volatile uint32_t *)0x40013800u)
#define USART1_DR (*(volatile uint32_t *)0x40013804u)
#define USART1_CR1 (*(volatile uint32_t *)0x4001380Cu)
#define USART_SR_TXE (1u << 7)

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss;

/* What real start-up code does before anything else: copy .data's initial values from flash to SRAM
   and clear .bss (link.ld defines the symbols). */
static inline void init_memory(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
}

#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR_UNKNOWN 0x20023u

static inline void put(char c)
{
    while (!(USART1_SR & USART_SR_TXE)) {
    }
    USART1_DR = (uint8_t)c;
}

static inline void print(const char *s)
{
    while (*s) {
        put(*s++);
    }
}

/* SYS_EXIT (0x18): on AArch32 the argument is the reason itself. */
__attribute__((noreturn)) static inline void semihosting_exit(uint32_t reason)
{
    register uint32_t r0 __asm__("r0") = 0x18u;
    register uint32_t r1 __asm__("r1") = reason;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

/* SYS_EXIT_EXTENDED (0x20): block = {ADP_Stopped_ApplicationExit, code}, so any exit code gets through. */
__attribute__((noreturn)) static inline void semihosting_exit_code(int code)
{
    uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

#endif
