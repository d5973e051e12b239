/*
 * Cortex-M3 hints, privilege, FAULTMASK and exception returns, run on MemGate's STM32F103 machine and on QEMU's
 * stm32vldiscovery, whose outputs the tests compare: YIELD and WFE run on (hints); CPSID/CPSIE act in a handler
 * entered from unprivileged thread mode and not in that thread (B1.3.1, B5.2.1); FAULTMASK holds back an
 * interrupt and every exception return clears it (B1.4.3, B1.5.8); an EXC_RETURN that names no mode, a return
 * to handler mode with nothing else active and one to thread mode with another exception active are INVPC
 * UsageFaults (B1.5.8); with CCR.DIV_0_TRP a division by zero is the DIVBYZERO UsageFault (B3.2.8). Prints over USART1 and exits through semihosting (0 when it got to the end).
 *   qemu-system-arm -M stm32vldiscovery -display none -serial stdio -semihosting-config enable=on,target=native -kernel masks-returns.elf
 */
#include "hex.h"

#define SCB_CCR (*(volatile uint32_t *)0xE000ED14u)
#define SCB_SHPR2 (*(volatile uint32_t *)0xE000ED1Cu)
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_IPR0 (*(volatile uint32_t *)0xE000E400u)
#define NVIC_STIR (*(volatile uint32_t *)0xE000EF00u)
#define SYNC() __asm__ volatile("dsb\n isb\n nop\n nop" ::: "memory")

extern uint32_t _estack;

static void field(const char *name, uint32_t v)
{
    print(name);
    put(' ');
    hex(v);
    put(' ');
}

#define READ_SPECIAL(reg) ({ uint32_t v_; __asm__ volatile("mrs %0, " reg : "=r"(v_)); v_; })

/* What the SVC handler does (svc_mode) and saw; the stage the tests have got to. */
static volatile uint32_t svc_mode, irq_mode, irq_hits;
static volatile uint32_t seen_primask, seen_faultmask;
static volatile uint32_t stage;

void SVC_Handler(void)
{
    switch (svc_mode) {
    case 1: /* entered from unprivileged thread mode: handler mode is privileged */
        __asm__ volatile("cpsid i");
        seen_primask = READ_SPECIAL("primask");
        __asm__ volatile("cpsie i\n cpsid f");
        seen_faultmask = READ_SPECIAL("faultmask");
        __asm__ volatile("cpsie f");
        break;
    case 2: /* back to privileged thread mode */
        __asm__ volatile("mov r0, #0\n msr control, r0\n isb" ::: "r0");
        break;
    case 3: /* the return clears FAULTMASK */
        __asm__ volatile("cpsid f");
        seen_faultmask = READ_SPECIAL("faultmask");
        break;
    case 4: /* an EXC_RETURN that names no mode, with FAULTMASK set (the return clears it first) */
        __asm__ volatile("cpsid f\n ldr lr, =0xFFFFFFF5\n bx lr");
        break;
    case 5: /* a return to handler mode with nothing else active */
        __asm__ volatile("ldr lr, =0xFFFFFFF1\n bx lr");
        break;
    case 6: /* IRQ0 preempts, then returns to thread mode while SVCall is active */
        irq_mode = 6;
        NVIC_STIR = 0;
        SYNC();
        break;
    }
}

void Irq0_Handler(void)
{
    irq_hits++;
    if (irq_mode == 6) {
        __asm__ volatile("ldr lr, =0xFFFFFFF9\n bx lr");
    }
}

void stages(void);

/* A UsageFault records what it saw, and the tests go on at the next stage on a fresh stack. */
__attribute__((naked)) static void resume(void)
{
    __asm__ volatile("ldr r0, =_estack\n mov sp, r0\n b stages\n");
}

void usage_fault(uint32_t *frame, uint32_t lr)
{
    field("ipsr", READ_SPECIAL("ipsr"));
    field("cfsr", SCB_CFSR);
    field("lr", lr);
    field("stacked pc", frame[6]);
    put('\n');
    SCB_CFSR = SCB_CFSR;
    if (stage > 8) {
        semihosting_exit_code(0);
    }
    frame[6] = (uint32_t)resume & ~1u;
    frame[7] = 1u << 24;
}

__attribute__((naked)) void UsageFault_Handler(void)
{
    __asm__ volatile("mov r1, lr\n mrs r0, msp\n bl usage_fault\n ldr r0, =0xFFFFFFF9\n bx r0\n");
}

void Default_Handler(void)
{
    print("unexpected exception ");
    hex(READ_SPECIAL("ipsr"));
    print(", CFSR ");
    hex(SCB_CFSR);
    put('\n');
    semihosting_exit_code(98);
}

void Reset_Handler(void);

__attribute__((section(".isr_vector"), used)) static void (*const vectors[17])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    UsageFault_Handler, 0, 0, 0, 0, SVC_Handler, Default_Handler, 0, Default_Handler, Default_Handler, Irq0_Handler,
};

static void svc(uint32_t mode)
{
    svc_mode = mode;
    __asm__ volatile("svc #0" ::: "memory");
    svc_mode = 0;
}

__attribute__((noreturn)) void stages(void)
{
    for (;;) {
        switch (stage++) {
        case 0:
            __asm__ volatile("yield\n wfe\n yield.w\n wfe.w\n sev\n wfe" ::: "memory");
            print("hints run on\n");
            break;
        case 1:
            __asm__ volatile("mov r0, #1\n msr control, r0\n isb" ::: "r0");
            svc(1);
            print("svc from unprivileged thread: ");
            field("primask", seen_primask);
            field("faultmask", seen_faultmask);
            __asm__ volatile("cpsid i" ::: "memory");
            field("then in the thread primask", READ_SPECIAL("primask"));
            put('\n');
            svc(2);
            field("control after", READ_SPECIAL("control"));
            put('\n');
            break;
        case 2:
            NVIC_IPR0 = 0x40;
            NVIC_ISER0 = 1;
            __asm__ volatile("cpsid f" ::: "memory");
            NVIC_STIR = 0;
            SYNC();
            field("irq under faultmask", irq_hits);
            __asm__ volatile("cpsie f" ::: "memory");
            SYNC();
            field("after", irq_hits);
            put('\n');
            break;
        case 3:
            svc(3);
            field("faultmask in svc", seen_faultmask);
            field("after return", READ_SPECIAL("faultmask"));
            put('\n');
            break;
        case 4:
            SCB_SHCSR = 1u << 18;
            print("exc_return 0xfffffff5: ");
            svc(4);
            print("no fault\n");
            break;
        case 5:
            print("return to handler mode alone: ");
            svc(5);
            print("no fault\n");
            break;
        case 6:
            field("active after the faults", SCB_SHCSR & 0xFFFu);
            put('\n');
            break;
        case 7:
            SCB_CCR |= 1u << 4; /* DIV_0_TRP */
            print("udiv by zero, DIV_0_TRP: ");
            {
                uint32_t zero = 0, quotient;
                __asm__ volatile("udiv %0, %1, %2" : "=r"(quotient) : "r"(7u), "r"(zero));
                field("no fault, quotient", quotient);
                put('\n');
            }
            break;
        case 8:
            SCB_CCR &= ~(1u << 4);
            SCB_SHPR2 = 0x80u << 24;
            print("return to thread mode with svc active: ");
            svc(6);
            print("no fault\n");
            break;
        default:
            print("done\n");
            semihosting_exit_code(0);
        }
    }
}

void Reset_Handler(void)
{
    init_memory();
    USART1_CR1 = (1u << 13) | (1u << 3);
    print("masks and returns on Cortex-M3\n");
    stages();
}
