/*
 * Cortex-M3 exceptions and faults, run on MemGate's STM32F103 machine and on QEMU's stm32vldiscovery,
 * whose outputs the tests compare: ICSR.VECTACTIVE in handlers, the local exclusive monitor cleared by
 * exception entry and return, and faults (UsageFault, BusFault, HardFault with escalation) delivered
 * to the firmware's handlers with CFSR, HFSR, BFAR and SHCSR as ARMv7-M B3.2 defines them. Prints over
 * USART1 and exits through semihosting (0 when it got to the end).
 *   qemu-system-arm -M stm32vldiscovery -display none -serial stdio -semihosting-config enable=on,target=native -kernel faults.elf
 */
#include "hex.h"

#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define SCB_SHPR1 (*(volatile uint32_t *)0xE000ED18u)
#define SCB_SHPR2 (*(volatile uint32_t *)0xE000ED1Cu)
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_STIR (*(volatile uint32_t *)0xE000EF00u)
#define NOWHERE 0x60000000u /* no memory or device here on QEMU's board nor on MemGate's template */

extern uint32_t _estack;

/* What the last fault handler saw, and where a fault resumes. */
volatile uint32_t resume_pc;
static volatile uint32_t seen_ipsr, seen_vectactive, seen_cfsr, seen_hfsr, seen_bfar, seen_mmfar, seen_shcsr, seen_pc, faults;
static volatile uint32_t svc_vectactive, irq_vectactive, irq_ipsr;
static volatile uint32_t monitor_word;
static volatile uint32_t in_svc_fault;

/* Called from the fault handlers with the stacked frame: records the fault, clears the status
   registers (write one to clear) and returns to resume_pc in Thumb state. */
void fault_common(uint32_t *frame)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    seen_ipsr = ipsr;
    seen_vectactive = SCB_ICSR & 0x1FFu;
    seen_cfsr = SCB_CFSR;
    seen_hfsr = SCB_HFSR;
    seen_shcsr = SCB_SHCSR;
    seen_bfar = (seen_cfsr & (1u << 15)) ? SCB_BFAR : 0;
    seen_mmfar = (seen_cfsr & (1u << 7)) ? SCB_MMFAR : 0;
    seen_pc = frame[6];
    SCB_CFSR = seen_cfsr;
    SCB_HFSR = seen_hfsr;
    faults++;
    if (faults > 20) {
        semihosting_exit_code(99); /* a fault loop: give up */
    }
    frame[6] = resume_pc;
    frame[7] |= 1u << 24;
}

__attribute__((naked)) void Fault_Handler(void)
{
    __asm__ volatile("tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n b fault_common\n");
}

void SVC_Handler(void)
{
    svc_vectactive = SCB_ICSR & 0x1FFu;
    if (in_svc_fault) {
        /* A UsageFault here cannot preempt (SVCall runs at a higher priority): it escalates. */
        __asm__ volatile("ldr r0, =1f\n ldr r1, =resume_pc\n orr r0, r0, #1\n str r0, [r1]\n udf #1\n1:\n" ::: "r0", "r1", "memory");
    }
}

void Irq0_Handler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    irq_ipsr = ipsr;
    irq_vectactive = SCB_ICSR & 0x1FFu;
}

void PendSV_Handler(void) {}

void Reset_Handler(void);
void Default_Handler(void) { semihosting_exit_code(98); }

__attribute__((section(".isr_vector"), used)) static void (*const vectors[32])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    0, 0, 0, 0, SVC_Handler, 0, 0, PendSV_Handler, Default_Handler, Irq0_Handler,
};

/* Runs `insn` at a label whose address comes back; a fault resumes after it. */
#define PROBE(setup, insn)                                                                                      \
    ({                                                                                                          \
        uint32_t at_;                                                                                           \
        __asm__ volatile("ldr r0, =1f\n ldr r1, =resume_pc\n str r0, [r1]\n" setup "\n ldr %0, =2f\n .balign 4\n2: " insn "\n1:\n" \
                         : "=&r"(at_)                                                                           \
                         :                                                                                      \
                         : "r0", "r1", "r2", "r3", "memory");                                                   \
        at_ & ~1u;                                                                                              \
    })

static void report(const char *what, uint32_t at, uint32_t before)
{
    print(what);
    if (faults == before) {
        print(": no fault\n");
        return;
    }
    print(": exception ");
    hex(seen_ipsr);
    print(" vectactive ");
    hex(seen_vectactive);
    print(" cfsr ");
    hex(seen_cfsr);
    print(" hfsr ");
    hex(seen_hfsr);
    print(" shcsr ");
    hex(seen_shcsr);
    if (seen_bfar) {
        print(" bfar ");
        hex(seen_bfar);
    }
    if (seen_mmfar) {
        print(" mmfar ");
        hex(seen_mmfar);
    }
    print(" pc ");
    if (seen_pc == at) {
        print("at");
    } else {
        hex(seen_pc);
    }
    put('\n');
}

static uint32_t exclusive_after(int how)
{
    uint32_t value, failed;
    __asm__ volatile("ldrex %0, [%1]" : "=r"(value) : "r"(&monitor_word) : "memory");
    if (how == 1) {
        __asm__ volatile("svc #0");
    } else if (how == 2) {
        NVIC_STIR = 0;
        __asm__ volatile("dsb\n isb\n nop\n nop");
    }
    __asm__ volatile("strex %0, %2, [%1]" : "=&r"(failed) : "r"(&monitor_word), "r"(value + 1) : "memory");
    return failed;
}

void Reset_Handler(void)
{
    USART1_CR1 = (1u << 13) | (1u << 3);
    print("faults on Cortex-M3\n");
    NVIC_ISER0 = 1u;

    __asm__ volatile("svc #0");
    print("VECTACTIVE in SVCall ");
    hex(svc_vectactive);
    NVIC_STIR = 0;
    __asm__ volatile("dsb\n isb\n nop\n nop");
    print(", in IRQ0 ");
    hex(irq_vectactive);
    print(" (IPSR ");
    hex(irq_ipsr);
    print("), in thread mode ");
    hex(SCB_ICSR & 0x1FFu);
    put('\n');

    print("STREX after LDREX: ");
    hex(exclusive_after(0));
    print(", across an SVC: ");
    hex(exclusive_after(1));
    print(", across an interrupt: ");
    hex(exclusive_after(2));
    put('\n');

    uint32_t at, before;
    before = faults;
    at = PROBE("", "udf #7");
    report("udf, no fault handlers enabled", at, before);

    SCB_SHCSR = (1u << 16) | (1u << 17) | (1u << 18);
    print("SHCSR enables ");
    hex(SCB_SHCSR);
    put('\n');

    before = faults;
    at = PROBE("", "udf #7");
    report("udf", at, before);

    before = faults;
    at = PROBE("ldr r2, =3f\n bic r2, r2, #1", "bx r2\n nop\n .balign 4\n3: nop");
    report("bx to an even address", at, before);

    before = faults;
    at = PROBE("ldr r2, =0x60000000", "ldr r3, [r2]");
    report("load from nowhere", at, before);

    before = faults;
    at = PROBE("ldr r2, =0x60000000", "ldr r3, [r2, #8]");
    report("load from nowhere + 8", at, before);

    before = faults;
    at = PROBE("ldr r2, =0x60000001", "blx r2");
    report("call to nowhere", at, before);

    SCB_SHCSR = 0;
    before = faults;
    at = PROBE("ldr r2, =0x60000000", "ldr r3, [r2, #4]");
    report("load from nowhere, BusFault disabled", at, before);

    /* UsageFault at the lowest priority, enabled: a UDF inside the SVCall handler escalates. */
    SCB_SHCSR = 1u << 18;
    SCB_SHPR1 = 0xF0u << 16;
    before = faults;
    in_svc_fault = 1;
    __asm__ volatile("svc #0");
    in_svc_fault = 0;
    report("udf in SVCall above UsageFault", 0, before);

    print("done\n");
    semihosting_exit_code(0);
}
