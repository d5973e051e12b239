/* NVIC example: external interrupts with priorities, nesting, tail-chaining, PRIMASK and BASEPRI
   masking, SVC, and USART1 transmitting from its interrupt (TXEIE). Prints what happened over USART1
   and exits through semihosting: 0 when every check held, 1 otherwise. */
#include "board.h"

#define NVIC_ISER ((volatile uint32_t *)0xE000E100u)
#define NVIC_ISPR ((volatile uint32_t *)0xE000E200u)
#define NVIC_IABR ((volatile uint32_t *)0xE000E300u)
#define NVIC_IPR ((volatile uint8_t *)0xE000E400u)
#define NVIC_STIR (*(volatile uint32_t *)0xE000EF00u)
#define SCB_SHPR2 (*(volatile uint32_t *)0xE000ED1Cu)
#define USART1_IRQ 37u
#define CR1_UE (1u << 13)
#define CR1_TE (1u << 3)
#define CR1_TXEIE (1u << 7)

extern uint32_t _estack;
static volatile char order[16];
static volatile uint32_t events;
static volatile uint32_t ipsr_in_high;
static volatile uint32_t active_seen;
static const char *volatile tx_next;
static volatile uint32_t tx_done;
static uint32_t failures;

static void log_event(char c) { order[events++] = c; }

static void check(int ok, const char *what)
{
    print(ok ? "ok   " : "FAIL ");
    print(what);
    put('\n');
    failures += !ok;
}

static void enable(uint32_t irq, uint8_t priority)
{
    NVIC_IPR[irq] = priority;
    NVIC_ISER[irq / 32] = 1u << (irq % 32);
}

static void pend(uint32_t irq) { NVIC_ISPR[irq / 32] = 1u << (irq % 32); }

static int same(const char *expected)
{
    uint32_t i = 0;
    for (; expected[i]; i++) {
        if (i >= events || order[i] != expected[i]) {
            return 0;
        }
    }
    return i == events;
}

/* IRQ 0, low priority: logs, triggers IRQ 1 (higher: preempts at once) and IRQ 2 (lower: waits). */
void Irq0_Handler(void)
{
    log_event('A');
    active_seen = NVIC_IABR[0];
    NVIC_STIR = 1u;
    log_event('a');
    pend(2u);
    log_event('z');
}

void Irq1_Handler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    ipsr_in_high = ipsr;
    log_event('B');
}

void Irq2_Handler(void) { log_event('C'); }

void SVC_Handler(void) { log_event('S'); }

void USART1_Handler(void)
{
    char c = *tx_next;
    if (c) {
        USART1_DR = (uint8_t)c;
        tx_next++;
    } else {
        USART1_CR1 &= ~CR1_TXEIE;
        tx_done = 1u;
    }
}

void Reset_Handler(void)
{
    init_memory();
    enable(0u, 0x80u);
    enable(1u, 0x40u);
    enable(2u, 0xC0u);

    pend(0u);
    check(same("ABazC"), "nesting: IRQ1 preempts IRQ0, IRQ2 waits and tail-chains");
    check(ipsr_in_high == 17u && (active_seen & 1u), "IPSR 17 in IRQ1, IRQ0 active in IABR");

    events = 0u;
    __asm__ volatile("cpsid i" ::: "memory");
    pend(1u);
    __asm__ volatile("nop; nop; nop");
    int held = same("");
    __asm__ volatile("cpsie i" ::: "memory");
    __asm__ volatile("nop; nop; nop");
    check(held && same("B"), "PRIMASK holds an interrupt back until cleared");

    events = 0u;
    __asm__ volatile("msr basepri, %0" ::"r"(0x80u) : "memory");
    pend(0u);
    pend(1u);
    __asm__ volatile("nop; nop; nop");
    held = same("B");
    __asm__ volatile("msr basepri, %0" ::"r"(0u) : "memory");
    __asm__ volatile("nop; nop; nop");
    check(held && same("BABazC"), "BASEPRI 0x80 masks priority 0x80, not 0x40");

    events = 0u;
    SCB_SHPR2 = 0x10u << 24;
    __asm__ volatile("svc 0" ::: "memory");
    check(same("S"), "SVC");

    tx_next = "sent from the USART1 interrupt\n";
    enable(USART1_IRQ, 0x20u);
    USART1_CR1 = CR1_UE | CR1_TE | CR1_TXEIE;
    while (!tx_done) {
    }
    check(1, "USART1 TXE interrupt drove the line above");

    semihosting_exit(failures == 0u ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR_UNKNOWN);
}

void Default_Handler(void)
{
    print("unexpected exception\n");
    semihosting_exit(ADP_STOPPED_RUNTIME_ERROR_UNKNOWN);
}

#define D Default_Handler
__attribute__((section(".isr_vector"), used))
static void (*const vectors[16 + 60])(void) = {
    (void (*)(void))&_estack, Reset_Handler, D, D, D, D, D, 0, 0, 0, 0, SVC_Handler, D, 0, D, D,
    Irq0_Handler, Irq1_Handler, Irq2_Handler, D, D, D, D, D, D, D, D, D, D, D, D, D,
    D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D,
    USART1_Handler, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D,
};
