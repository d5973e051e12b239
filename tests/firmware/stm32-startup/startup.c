/*
 * What vendor start-up code (CMSIS SystemInit, HAL SystemClock_Config, HAL_Init, GPIO and timer init) does
 * to an STM32, run against MemGate's RCC, PWR, FLASH, GPIO and timer models: HSE on, PLL on, system clock
 * switched to the PLL, flash wait states, a GPIO pin configured and toggled, the flash unlock sequence,
 * TIM2 started with its update interrupt taken three times; then "ok" on USART1 and exit code 0 through
 * semihosting. Every wait is bounded: a flag that never comes prints "FAIL n" and exits with code n.
 * One image serves STM32F103 and STM32F4: it tells them apart by what sits at 0x40021000 (F1: RCC_CR,
 * which resets to 0x83; F4: GPIOE_MODER, which resets to 0).
 */
#include "../../../examples/firmware/stm32f103/board.h"

#define REG(address) (*(volatile uint32_t *)(address))
#define NVIC_ISER0 REG(0xE000E100u)

#define TIM2 0x40000000u
#define TIM_CR1 REG(TIM2 + 0x00u)
#define TIM_DIER REG(TIM2 + 0x0Cu)
#define TIM_SR REG(TIM2 + 0x10u)
#define TIM_EGR REG(TIM2 + 0x14u)
#define TIM_CNT REG(TIM2 + 0x24u)
#define TIM_PSC REG(TIM2 + 0x28u)
#define TIM_ARR REG(TIM2 + 0x2Cu)
#define TIM2_IRQ 28u

extern uint32_t _estack;
static uint32_t usart;              /* USART1's base */
static volatile uint32_t updates;   /* TIM2 update interrupts taken */

static void uart_put(char c)
{
    while (!(REG(usart) & (1u << 7))) { /* TXE */
    }
    REG(usart + 4u) = (uint8_t)c;
}

static void uart_print(const char *s)
{
    while (*s) {
        uart_put(*s++);
    }
}

__attribute__((noreturn)) static void fail(int step)
{
    uart_print("FAIL ");
    if (step >= 10) {
        uart_put((char)('0' + step / 10));
    }
    uart_put((char)('0' + step % 10));
    uart_put('\n');
    semihosting_exit_code(step);
}

/* Waits, as HAL does with a timeout, until (reg & mask) == value. */
static void wait(volatile uint32_t *reg, uint32_t mask, uint32_t value, int step)
{
    for (int i = 0; i < 10000; i++) {
        if ((*reg & mask) == value) {
            return;
        }
    }
    fail(step);
}

static void check(int ok, int step)
{
    if (!ok) {
        fail(step);
    }
}

void TIM2_IRQHandler(void)
{
    if (TIM_SR & 1u) {
        TIM_SR = ~1u; /* rc_w0: clear UIF only */
        updates++;
    }
}

static void clocks_f1(void)
{
    const uint32_t rcc = 0x40021000u, flash = 0x40022000u;
    REG(rcc + 0x00u) |= 1u << 16;                                      /* HSEON */
    wait(&REG(rcc + 0x00u), 1u << 17, 1u << 17, 1);                    /* HSERDY */
    REG(flash + 0x00u) = (REG(flash + 0x00u) & ~7u) | 0x10u | 2u;      /* PRFTBE, LATENCY 2 */
    check((REG(flash + 0x00u) & 0x27u) == 0x22u, 2);                   /* PRFTBS follows PRFTBE */
    REG(rcc + 0x04u) |= (1u << 16) | (7u << 18) | (4u << 8);          /* PLLSRC HSE, PLLMUL x9, PPRE1 /2 */
    REG(rcc + 0x00u) |= 1u << 24;                                      /* PLLON */
    wait(&REG(rcc + 0x00u), 1u << 25, 1u << 25, 3);                    /* PLLRDY */
    REG(rcc + 0x04u) = (REG(rcc + 0x04u) & ~3u) | 2u;                  /* SW = PLL */
    wait(&REG(rcc + 0x04u), 0xCu, 0x8u, 4);                            /* SWS = PLL */
    REG(rcc + 0x18u) |= (1u << 4) | (1u << 14);                        /* IOPCEN, USART1EN */
    REG(rcc + 0x1Cu) |= 1u;                                            /* TIM2EN */

    const uint32_t gpioc = 0x40011000u;
    REG(gpioc + 0x04u) = (REG(gpioc + 0x04u) & ~(0xFu << 20)) | (0x2u << 20); /* PC13 output push-pull, 2 MHz */
    REG(gpioc + 0x10u) = 1u << 13;                                     /* BSRR: set */
    check((REG(gpioc + 0x08u) & (1u << 13)) != 0, 5);                  /* IDR */
    REG(gpioc + 0x14u) = 1u << 13;                                     /* BRR: reset */
    check((REG(gpioc + 0x08u) & (1u << 13)) == 0, 6);

    REG(flash + 0x04u) = 0x45670123u;                                  /* KEYR: KEY1, KEY2 */
    REG(flash + 0x04u) = 0xCDEF89ABu;
    check((REG(flash + 0x10u) & (1u << 7)) == 0, 7);                   /* CR.LOCK cleared */
    REG(flash + 0x10u) |= 1u << 7;                                     /* lock again */
    check((REG(flash + 0x10u) & (1u << 7)) != 0, 8);
    usart = 0x40013800u;
}

static void clocks_f4(void)
{
    const uint32_t rcc = 0x40023800u, flash = 0x40023C00u, pwr = 0x40007000u;
    REG(rcc + 0x00u) |= 1u << 16;                                      /* HSEON */
    wait(&REG(rcc + 0x00u), 1u << 17, 1u << 17, 1);                    /* HSERDY */
    REG(rcc + 0x40u) |= 1u << 28;                                      /* PWREN */
    REG(pwr + 0x00u) |= 1u << 14;                                      /* VOS: scale 1 */
    REG(rcc + 0x04u) = 8u | (336u << 6) | (0u << 16) | (1u << 22) | (7u << 24); /* PLLM 8, PLLN 336, PLLP /2, HSE, PLLQ 7 */
    REG(rcc + 0x00u) |= 1u << 24;                                      /* PLLON */
    wait(&REG(rcc + 0x00u), 1u << 25, 1u << 25, 3);                    /* PLLRDY */
    wait(&REG(pwr + 0x04u), 1u << 14, 1u << 14, 9);                    /* VOSRDY */
    REG(flash + 0x00u) = (1u << 8) | (1u << 9) | (1u << 10) | 5u;      /* PRFTEN, ICEN, DCEN, LATENCY 5 */
    check((REG(flash + 0x00u) & 7u) == 5u, 2);                         /* HAL reads the latency back */
    REG(rcc + 0x08u) = (REG(rcc + 0x08u) & ~3u) | 2u | (5u << 10) | (4u << 13); /* SW = PLL, PPRE1 /4, PPRE2 /2 */
    wait(&REG(rcc + 0x08u), 0xCu, 0x8u, 4);                            /* SWS = PLL */
    REG(rcc + 0x30u) |= 1u << 3;                                       /* GPIODEN */
    REG(rcc + 0x44u) |= 1u << 4;                                       /* USART1EN */
    REG(rcc + 0x40u) |= 1u;                                            /* TIM2EN */

    const uint32_t gpiod = 0x40020C00u;
    REG(gpiod + 0x00u) = (REG(gpiod + 0x00u) & ~(3u << 24)) | (1u << 24); /* PD12 output */
    REG(gpiod + 0x18u) = 1u << 12;                                     /* BSRR: set */
    check((REG(gpiod + 0x10u) & (1u << 12)) != 0, 5);                  /* IDR */
    REG(gpiod + 0x18u) = 1u << (12 + 16);                              /* BSRR: reset */
    check((REG(gpiod + 0x10u) & (1u << 12)) == 0, 6);

    REG(flash + 0x04u) = 0x45670123u;                                  /* KEYR: KEY1, KEY2 */
    REG(flash + 0x04u) = 0xCDEF89ABu;
    check((REG(flash + 0x10u) & (1u << 31)) == 0, 7);                  /* CR.LOCK cleared */
    REG(flash + 0x10u) |= 1u << 31;                                    /* lock again */
    check((REG(flash + 0x10u) & (1u << 31)) != 0, 8);
    usart = 0x40011000u;
}

void Reset_Handler(void)
{
    init_memory();
    if (REG(0x40021000u) == 0x83u) {
        clocks_f1();
    } else {
        clocks_f4();
    }
    REG(usart + 0x0Cu) = (1u << 13) | (1u << 3);                       /* UE, TE */

    TIM_PSC = 7u;
    TIM_ARR = 99u;
    TIM_EGR = 1u;                                                      /* UG: load PSC (sets UIF) */
    TIM_SR = 0u;
    TIM_DIER = 1u;                                                     /* UIE */
    NVIC_ISER0 = 1u << TIM2_IRQ;
    TIM_CR1 = 1u;                                                      /* CEN */
    for (int i = 0; i < 100 && updates < 3u; i++) {
        __asm__ volatile("wfi");
    }
    check(updates >= 3u, 10);
    TIM_CR1 = 0u;
    check(TIM_CNT <= 99u, 11);

    uart_print("ok\n");
    semihosting_exit_code(0);
}

void Default_Handler(void)
{
    fail(99);   /* an exception nobody expects */
}

__attribute__((section(".isr_vector"), used))
static void (*const vectors[16 + 32])(void) = {
    [0] = (void (*)(void))&_estack,
    [1] = Reset_Handler,
    [2 ... 15] = Default_Handler,
    [16 ... 16 + 31] = Default_Handler,
    [16 + TIM2_IRQ] = TIM2_IRQHandler,
};
