/* Three UART models placed by board.toml, each used with its interrupt: SERIAL_A (stm32-usart, IRQ 5)
 * by TXEIE, SERIAL_B (pl011, IRQ 9) by TXIM after a write, SERIAL_C (ns16550a, IRQ 12) by ETBEI. Each
 * handler prints its letter and masks its source; main prints a summary and exits with the number of
 * interrupts taken (semihosting SYS_EXIT_EXTENDED). */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define REG8(a) (*(volatile uint8_t *)(a))
#define NVIC_ISER0 REG(0xE000E100)

#define A_BASE 0x50001000u
#define A_SR REG(A_BASE + 0x00)
#define A_DR REG(A_BASE + 0x04)
#define A_CR1 REG(A_BASE + 0x0C)

#define B_BASE 0x50004000u
#define B_DR REG(B_BASE + 0x000)
#define B_IMSC REG(B_BASE + 0x038)
#define B_MIS REG(B_BASE + 0x040)
#define B_ICR REG(B_BASE + 0x044)

#define C_BASE 0x50008000u
#define C_THR REG8(C_BASE + 0)
#define C_IER REG8(C_BASE + 1)
#define C_IIR REG8(C_BASE + 2)

extern uint32_t _estack, _sbss, _ebss;
static volatile int taken;

static void put_a(char c) { while (!(A_SR & 0x80)) { } A_DR = (uint32_t)c; }
static void puts_a(const char *s) { while (*s) put_a(*s++); }

void UartA_Handler(void) { put_a('A'); A_CR1 &= ~(1u << 7); taken++; }               /* TXEIE off */
void UartB_Handler(void) { if (B_MIS & (1u << 5)) { put_a('B'); B_ICR = 1u << 5; B_IMSC = 0; taken++; } }
void UartC_Handler(void) { if ((C_IIR & 0x0F) == 0x02) { put_a('C'); C_IER = 0; taken++; } }

static void semihosting_exit(int code)
{
    static volatile uint32_t block[2];
    block[0] = 0x20026; /* ADP_Stopped_ApplicationExit */
    block[1] = (uint32_t)code;
    register uint32_t r0 __asm__("r0") = 0x20; /* SYS_EXIT_EXTENDED */
    register volatile uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) { }
}

void Reset_Handler(void)
{
    for (uint32_t *p = &_sbss; p < &_ebss; p++) *p = 0;
    NVIC_ISER0 = (1u << 5) | (1u << 9) | (1u << 12);
    A_CR1 = (1u << 13) | (1u << 3);           /* UE | TE */
    puts_a("start ");
    A_CR1 |= 1u << 7;                         /* TXEIE: TXE is set, so the interrupt comes at once */
    B_IMSC = 1u << 5;                         /* TXIM */
    B_DR = 'b';                               /* the byte leaves at once: TXRIS */
    C_IER = 0x02;                             /* ETBEI with THR empty */
    C_THR = 'c';
    while (taken < 3) { }
    puts_a(" done\n");
    semihosting_exit(taken);
}

void Default_Handler(void) { semihosting_exit(100); }

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16 + 16])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0, Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
    [16 + 5] = UartA_Handler, [16 + 9] = UartB_Handler, [16 + 12] = UartC_Handler,
};
