/* RTOS-style example: two tasks on their own process stacks (PSP), started by SVC, switched by
   PendSV (saving R4-R11 by hand as RTOS kernels do) when a task yields or a SysTick tick arrives.
   Prints the interleaving over USART1 and exits through semihosting: 0 when every check held. */
#include "board.h"

#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define SCB_SHPR3 (*(volatile uint32_t *)0xE000ED20u)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define PENDSVSET (1u << 28)

extern uint32_t _estack;
static uint32_t stack_a[128], stack_b[128];
uint32_t *task_sp[2];
uint32_t current;
static volatile uint32_t ticks;
static volatile uint32_t done_a;

static void yield(void) { SCB_ICSR = PENDSVSET; __asm__ volatile("dsb; isb" ::: "memory"); }

static uint32_t control(void)
{
    uint32_t value;
    __asm__ volatile("mrs %0, control" : "=r"(value));
    return value;
}

static void task_a(void)
{
    for (char i = '0'; i < '3'; i++) {
        print("A");
        put(i);
        put(' ');
        yield();
    }
    done_a = 1;
    for (;;) {
        yield();
    }
}

static void task_b(void)
{
    for (char i = '0'; i < '3'; i++) {
        print("B");
        put(i);
        put(' ');
        yield();
    }
    print("\n");
    int on_psp = (control() & 2u) != 0;
    /* Preemption: SysTick now switches tasks by itself; task A does not run again (it only yields), so the
       ticks that arrive while B spins prove that interrupts taken on the process stack return to it. */
    SYST_RVR = 499u;
    SYST_CVR = 0u;
    SYST_CSR = 7u;
    uint32_t start = ticks;
    while (ticks < start + 4u) {
    }
    SYST_CSR = 0u;
    print(on_psp ? "ok   tasks run on the process stack\n" : "FAIL tasks run on the process stack\n");
    print(done_a ? "ok   task A finished first\n" : "FAIL task A finished first\n");
    print("ok   four SysTick ticks preempted task B (PendSV switched to A and back) and B resumed\n");
    semihosting_exit(on_psp && done_a ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR_UNKNOWN);
}

/* Fresh task stack: R4-R11 (saved by PendSV), then the hardware frame R0-R3, R12, LR, PC, xPSR. */
static uint32_t *prepare(uint32_t *top, void (*entry)(void))
{
    uint32_t *sp = top - 16;
    for (int i = 0; i < 16; i++) {
        sp[i] = 0;
    }
    sp[14] = (uint32_t)entry;    /* PC */
    sp[15] = 0x01000000u;        /* xPSR: Thumb */
    return sp;
}

void SysTick_Handler(void)
{
    ticks++;
    SCB_ICSR = PENDSVSET;
}

/* Starts the first task: its saved R4-R11 off, PSP at its hardware frame, return to thread mode on PSP. */
__attribute__((naked)) void SVC_Handler(void)
{
    __asm__ volatile(
        "ldr r1, =current\n"
        "ldr r1, [r1]\n"
        "ldr r2, =task_sp\n"
        "ldr r0, [r2, r1, lsl #2]\n"
        "ldmia r0!, {r4-r11}\n"
        "msr psp, r0\n"
        "ldr lr, =0xFFFFFFFD\n"
        "bx lr\n"
        ".ltorg\n");
}

/* Context switch: save R4-R11 on the task's stack, store its PSP, pick the other task, restore. */
__attribute__((naked)) void PendSV_Handler(void)
{
    __asm__ volatile(
        "mrs r0, psp\n"
        "stmdb r0!, {r4-r11}\n"
        "ldr r2, =task_sp\n"
        "ldr r3, =current\n"
        "ldr r1, [r3]\n"
        "str r0, [r2, r1, lsl #2]\n"
        "eor r1, r1, #1\n"
        "str r1, [r3]\n"
        "ldr r0, [r2, r1, lsl #2]\n"
        "ldmia r0!, {r4-r11}\n"
        "msr psp, r0\n"
        "bx lr\n"
        ".ltorg\n");
}

void Reset_Handler(void)
{
    init_memory();
    task_sp[0] = prepare(stack_a + 128, task_a);
    task_sp[1] = prepare(stack_b + 128, task_b);
    current = 0;
    SCB_SHPR3 = (0xF0u << 16) | (0x80u << 24);   /* PendSV lowest, SysTick above it */
    __asm__ volatile("svc 0");
    print("FAIL: returned to reset\n");
    semihosting_exit(ADP_STOPPED_RUNTIME_ERROR_UNKNOWN);
}

void Default_Handler(void)
{
    print("unexpected exception\n");
    semihosting_exit(ADP_STOPPED_RUNTIME_ERROR_UNKNOWN);
}

__attribute__((section(".isr_vector"), used))
static void (*const vectors[16])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0,
    SVC_Handler, Default_Handler, 0, PendSV_Handler, SysTick_Handler,
};
