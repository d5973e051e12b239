/* UART echo for the STM32F103 (Cortex-M3): USART1 receives with its RXNE interrupt (IRQ 37) into a ring
   buffer; the main loop sleeps in WFI until a byte is there, and echoes it with letters in upper case (so
   an echo is told apart from the input). Ctrl-D (0x04) ends the run through semihosting with the number
   of bytes echoed as the exit code (modulo 100). */
#include <stdint.h>

#define USART1_SR (*(volatile uint32_t *)0x40013800u)
#define USART1_DR (*(volatile uint32_t *)0x40013804u)
#define USART1_CR1 (*(volatile uint32_t *)0x4001380Cu)
#define NVIC_ISER1 (*(volatile uint32_t *)0xE000E104u)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define CR1_UE (1u << 13)
#define CR1_RXNEIE (1u << 5)
#define CR1_TE (1u << 3)
#define CR1_RE (1u << 2)
#define USART1_IRQ 37u

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;

static volatile uint8_t ring[64];
static volatile uint32_t head, tail; /* the interrupt writes at head, the main loop reads at tail */

static void put(char c)
{
    while (!(USART1_SR & SR_TXE)) {
    }
    USART1_DR = (uint8_t)c;
}

static void print(const char *s)
{
    while (*s) {
        put(*s++);
    }
}

__attribute__((noreturn)) static void semihosting_exit_code(int code)
{
    uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

void USART1_IRQHandler(void)
{
    while (USART1_SR & SR_RXNE) {
        uint8_t c = (uint8_t)USART1_DR;
        if (head - tail < sizeof ring) {
            ring[head % sizeof ring] = c;
            head = head + 1;
        }
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
    USART1_CR1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
    NVIC_ISER1 = 1u << (USART1_IRQ - 32u);
    print("echo ready\n");
    uint32_t echoed = 0;
    for (;;) {
        /* Sleep with interrupts masked so a byte arriving between the test and the WFI still wakes it. */
        __asm__ volatile("cpsid i" ::: "memory");
        while (head == tail) {
            __asm__ volatile("wfi\n\tcpsie i\n\tcpsid i" ::: "memory");
        }
        __asm__ volatile("cpsie i" ::: "memory");
        uint8_t c = ring[tail % sizeof ring];
        tail = tail + 1;
        if (c == 0x04) {
            print("\nbye\n");
            semihosting_exit_code((int)(echoed % 100u));
        }
        put(c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : (char)c);
        echoed++;
    }
}

void Default_Handler(void)
{
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used))
static void (*const vectors[16 + 38])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0,
    Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
    [16 + USART1_IRQ] = USART1_IRQHandler,
};
