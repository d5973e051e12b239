/*
 * Cortex-M4F floating-point context (ARMv7-M B1.4.x, B1.5.7, B3.2.20, B3.4), run on MemGate's STM32F407 machine
 * and on QEMU's netduinoplus2 (STM32F405), whose outputs the tests compare: CPACR and the NOCP UsageFault,
 * CONTROL.FPCA set by the first FP instruction, the extended exception frame (S0-S15, FPSCR) with EXC_RETURN
 * 0xFFFFFFE9/ED, lazy stacking (FPCCR.LSPACT, FPCAR) and eager stacking (LSPEN clear), and an RTOS-style
 * context switch (PendSV from SysTick and from yields) of two tasks that both keep live values in S0-S31
 * and run with different FPSCR rounding modes. Prints over USART1 and exits through semihosting.
 *   qemu-system-arm -M netduinoplus2 -display none -serial stdio -semihosting-config enable=on,target=native -kernel fpu.elf
 */
#include <stdint.h>

#define USART1_SR (*(volatile uint32_t *)0x40011000u)
#define USART1_DR (*(volatile uint32_t *)0x40011004u)
#define USART1_CR1 (*(volatile uint32_t *)0x4001100Cu)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define SCB_SHPR3 (*(volatile uint32_t *)0xE000ED20u)
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define FPU_FPCCR (*(volatile uint32_t *)0xE000EF34u)
#define FPU_FPCAR (*(volatile uint32_t *)0xE000EF38u)
#define FPU_FPDSCR (*(volatile uint32_t *)0xE000EF3Cu)
#define FPU_MVFR0 (*(volatile uint32_t *)0xE000EF40u)
#define FPU_MVFR1 (*(volatile uint32_t *)0xE000EF44u)
#define ICSR_PENDSVSET (1u << 28)
#define FPCCR_LSPEN (1u << 30)

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;

static void put(char c)
{
    while (!(USART1_SR & (1u << 7))) {
    }
    USART1_DR = (uint8_t)c;
}

static void print(const char *s)
{
    while (*s) {
        put(*s++);
    }
}

static void hex(uint32_t v)
{
    print("0x");
    int started = 0;
    for (int shift = 28; shift >= 0; shift -= 4) {
        unsigned digit = (v >> shift) & 0xFu;
        if (digit || started || shift == 0) {
            put("0123456789abcdef"[digit]);
            started = 1;
        }
    }
}

static void field(const char *name, uint32_t v)
{
    print(name);
    hex(v);
}

__attribute__((noreturn)) static void exit_code(int code)
{
    uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

static uint32_t control(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, control" : "=r"(v));
    return v;
}

/* ---- faults: a NOCP probe resumes after the faulting instruction ---- */

volatile uint32_t resume_pc;
static volatile uint32_t seen_ipsr, seen_cfsr, seen_hfsr, seen_pc, faults;

void fault_common(uint32_t *frame)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    seen_ipsr = ipsr;
    seen_cfsr = SCB_CFSR;
    seen_hfsr = SCB_HFSR;
    seen_pc = frame[6];
    SCB_CFSR = seen_cfsr;
    SCB_HFSR = seen_hfsr;
    if (++faults > 10) {
        exit_code(99);
    }
    frame[6] = resume_pc;
}

__attribute__((naked)) void Fault_Handler(void)
{
    __asm__ volatile("tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n b fault_common\n");
}

/* Runs one FP instruction at a label whose address comes back; a fault resumes after it. */
static uint32_t probe_fp(void)
{
    uint32_t at;
    __asm__ volatile("ldr r0, =1f\n ldr r1, =resume_pc\n str r0, [r1]\n ldr %0, =2f\n .balign 4\n2: vmov.f32 s0, #1.0\n1:\n"
                     : "=&r"(at)
                     :
                     : "r0", "r1", "s0", "memory");
    return at & ~1u;
}

static void report(const char *what, uint32_t at, uint32_t before)
{
    print(what);
    if (faults == before) {
        print(": no fault\n");
        return;
    }
    field(": exception ", seen_ipsr);
    field(" cfsr ", seen_cfsr);
    field(" hfsr ", seen_hfsr);
    print(seen_pc == at ? " pc at\n" : " pc elsewhere\n");
}

/* ---- SVC: what a handler sees of the extended frame, with and without FP use ---- */

static volatile uint32_t svc_use_fp;
static volatile uint32_t svc_lr, svc_control, svc_fpccr, svc_fpcar_offset, svc_fpccr_after, svc_frame_before[17], svc_frame_after[17], svc_s0;

void svc_common(uint32_t *frame, uint32_t lr)
{
    svc_lr = lr;
    svc_control = control();
    svc_fpccr = FPU_FPCCR;
    svc_fpcar_offset = FPU_FPCAR - (uint32_t)frame;
    for (int i = 0; i < 17; i++) {
        svc_frame_before[i] = frame[8 + i];
    }
    if (svc_use_fp) {
        uint32_t s0;
        /* The first FP instruction here preserves the thread's S0-S15 and FPSCR in its frame (lazy stacking). */
        __asm__ volatile("vmov %0, s0\n vmov.f32 s0, #-2.0\n vmov.f32 s1, #3.0\n vmov.f32 s15, #0.5\n mov r3, #0\n vmsr fpscr, r3"
                         : "=r"(s0)
                         :
                         : "r3", "s0", "s1", "s15", "memory");
        svc_s0 = s0;
    }
    svc_fpccr_after = FPU_FPCCR;
    for (int i = 0; i < 17; i++) {
        svc_frame_after[i] = frame[8 + i];
    }
}

__attribute__((naked)) void SVC_Handler(void)
{
    __asm__ volatile("tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n mov r1, lr\n push {r0, lr}\n bl svc_common\n pop {r0, pc}\n");
}

/* Loads S0-S31 and FPSCR, takes an SVC, and stores what the registers hold after the return. */
__attribute__((naked)) static void svc_roundtrip(const uint32_t *in, uint32_t *out, uint32_t fpscr)
{
    (void)in;
    (void)out;
    (void)fpscr;
    __asm__ volatile("push {r4, lr}\n vpush {s16-s31}\n mov r4, r1\n vldmia r0, {s0-s31}\n vmsr fpscr, r2\n svc #0\n"
                     " vstmia r4, {s0-s31}\n vmrs r3, fpscr\n str r3, [r4, #128]\n vpop {s16-s31}\n pop {r4, pc}\n");
}

static void svc_case(const char *what, uint32_t use_fp)
{
    uint32_t in[32], out[33];
    for (int i = 0; i < 32; i++) {
        in[i] = 0x3F800000u + ((uint32_t)i << 19); /* 1.0, 1.0625, ... */
    }
    svc_use_fp = use_fp;
    svc_roundtrip(in, out, 0x00C00000u); /* RMode round towards zero */
    uint32_t intact = 1;
    for (int i = 0; i < 32; i++) {
        intact &= out[i] == in[i];
    }
    uint32_t frame_has_regs = 1, frame_after_has_regs = 1;
    for (int i = 0; i < 16; i++) {
        frame_has_regs &= svc_frame_before[i] == in[i];
        frame_after_has_regs &= svc_frame_after[i] == in[i];
    }
    print(what);
    field(": EXC_RETURN ", svc_lr);
    field(" CONTROL ", svc_control);
    field(" FPCCR ", svc_fpccr);
    field(" FPCAR-frame ", svc_fpcar_offset);
    field(" FPCCR after ", svc_fpccr_after);
    print("\n  frame S0-S15 at entry ");
    print(frame_has_regs ? "saved" : "not saved");
    print(", after the handler ");
    print(frame_after_has_regs ? "saved" : "not saved");
    field(", FPSCR slot after ", svc_frame_after[16]);
    if (use_fp) {
        field(", S0 in handler ", svc_s0);
    }
    print(intact ? "\n  thread S0-S31 intact" : "\n  thread S0-S31 CHANGED");
    field(", FPSCR ", out[32]);
    field(", CONTROL ", control());
    field(", FPCCR ", FPU_FPCCR);
    put('\n');
}

/* ---- two tasks switched by PendSV, both computing in S0-S31 ---- */

static uint32_t task1_stack[512] __attribute__((aligned(8)));
static uint32_t handler_stack[256] __attribute__((aligned(8)));
uint32_t *task_sp[2];
uint32_t current_task;
volatile uint32_t switches;
static volatile uint32_t task1_done;
uint32_t yield_bits;
static uint32_t results[2][33];

__attribute__((naked)) void PendSV_Handler(void)
{
    __asm__ volatile(
        "mrs r0, psp\n isb\n"
        "tst lr, #0x10\n it eq\n vstmdbeq r0!, {s16-s31}\n"
        "stmdb r0!, {r4-r11, lr}\n"
        "ldr r1, =current_task\n ldr r2, [r1]\n ldr r3, =task_sp\n str r0, [r3, r2, lsl #2]\n"
        "eor r2, r2, #1\n str r2, [r1]\n ldr r0, [r3, r2, lsl #2]\n"
        "ldmia r0!, {r4-r11, lr}\n"
        "tst lr, #0x10\n it eq\n vldmiaeq r0!, {s16-s31}\n"
        "msr psp, r0\n isb\n"
        "ldr r1, =switches\n ldr r2, [r1]\n adds r2, #1\n str r2, [r1]\n"
        "bx lr\n");
}

void SysTick_Handler(void)
{
    SCB_ICSR = ICSR_PENDSVSET;
}

/*
 * Iterates on S0-S31 (S0-S15 from S16-S31, which drift themselves) with FPSCR's rounding mode set to
 * `fpscr`, yielding (writing yield_bits to ICSR: PENDSVSET while tasks switch) every 64 iterations; stores S0-S31 and FPSCR to `out`.
 */
__attribute__((naked)) static void work(const uint32_t *in, uint32_t *out, uint32_t fpscr, uint32_t iterations)
{
    (void)in;
    (void)out;
    (void)fpscr;
    (void)iterations;
    __asm__ volatile(
        "push {r4-r6, lr}\n vpush {s16-s31}\n"
        "vmsr fpscr, r2\n vldmia r0, {s0-s31}\n ldr r5, =0xE000ED04\n ldr r6, =yield_bits\n ldr r6, [r6]\n"
        "1:\n"
        "vmla.f32 s0, s16, s17\n vmul.f32 s1, s1, s18\n vadd.f32 s2, s2, s19\n vsub.f32 s3, s3, s20\n"
        "vmla.f32 s4, s21, s22\n vmul.f32 s5, s5, s23\n vadd.f32 s6, s6, s24\n vsub.f32 s7, s7, s25\n"
        "vmla.f32 s8, s26, s27\n vmul.f32 s9, s9, s28\n vadd.f32 s10, s10, s29\n vsub.f32 s11, s11, s30\n"
        "vadd.f32 s12, s12, s31\n vmul.f32 s13, s13, s16\n vsub.f32 s14, s14, s17\n vadd.f32 s15, s15, s0\n"
        "vmul.f32 s16, s16, s31\n vmul.f32 s17, s17, s31\n vadd.f32 s18, s18, s30\n vadd.f32 s19, s19, s29\n"
        "vmul.f32 s20, s20, s31\n vadd.f32 s21, s21, s30\n vmul.f32 s22, s22, s31\n vadd.f32 s23, s23, s29\n"
        "tst r3, #63\n it eq\n streq r6, [r5]\n"
        "subs r3, r3, #1\n bne 1b\n"
        "vstmia r1, {s0-s31}\n vmrs r4, fpscr\n str r4, [r1, #128]\n"
        "vpop {s16-s31}\n pop {r4-r6, pc}\n");
}

static void task_inputs(uint32_t *in, uint32_t seed)
{
    for (int i = 0; i < 29; i++) {
        in[i] = 0x3F800000u + seed * 0x1000u + (uint32_t)i * 0x4000u; /* a little above 1.0 */
    }
    in[29] = 0x3A83126Fu + seed; /* ~0.001 */
    in[30] = 0x3C23D70Au + seed; /* ~0.01 */
    in[31] = 0x3F800347u + seed; /* ~1.0001 */
}

#define ITERATIONS 3000u

static void task1(void)
{
    uint32_t in[32];
    task_inputs(in, 7);
    work(in, results[1], 0x00C00000u, ITERATIONS); /* round towards zero */
    task1_done = 1;
    for (;;) {
        SCB_ICSR = ICSR_PENDSVSET;
    }
}

static void print_result(const char *what, const uint32_t *r, const uint32_t *alone)
{
    uint32_t sum = 0;
    for (int i = 0; i < 32; i++) {
        sum = sum * 31u + r[i];
    }
    uint32_t same = 1;
    for (int i = 0; i < 33; i++) {
        same &= r[i] == alone[i];
    }
    print(what);
    field(": S0 ", r[0]);
    field(" S15 ", r[15]);
    field(" S16 ", r[16]);
    field(" S31 ", r[31]);
    field(" hash ", sum);
    field(" FPSCR ", r[32]);
    print(same ? ", as run alone\n" : ", DIFFERENT from the run alone\n");
}

/* ---- start-up ---- */

void Reset_Handler(void);
void Default_Handler(void) { exit_code(98); }

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    0, 0, 0, 0, SVC_Handler, Default_Handler, 0, PendSV_Handler, SysTick_Handler,
};

void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    USART1_CR1 = (1u << 13) | (1u << 3);
    print("fpu on Cortex-M4F\n");
    field("reset: CPACR ", SCB_CPACR);
    field(" FPCCR ", FPU_FPCCR);
    field(" FPCAR ", FPU_FPCAR);
    field(" FPDSCR ", FPU_FPDSCR);
    field(" MVFR0 ", FPU_MVFR0);
    field(" MVFR1 ", FPU_MVFR1);
    field(" CONTROL ", control());
    put('\n');

    uint32_t at, before = faults;
    at = probe_fp();
    report("FP with CPACR off, UsageFault disabled", at, before);
    SCB_SHCSR = (1u << 16) | (1u << 17) | (1u << 18);
    before = faults;
    at = probe_fp();
    report("FP with CPACR off", at, before);
    SCB_CPACR = 0x5u << 20; /* CP10, CP11 privileged access */
    __asm__ volatile("dsb\n isb");
    before = faults;
    at = probe_fp();
    report("FP with CPACR privileged", at, before);
    SCB_CPACR = 0xFu << 20;
    __asm__ volatile("dsb\n isb");
    field("CPACR ", SCB_CPACR);
    field(", CONTROL ", control());
    put('\n');

    svc_case("SVC, handler without FP", 0);
    svc_case("SVC, handler with FP", 1);
    FPU_FPCCR &= ~FPCCR_LSPEN;
    field("LSPEN clear: FPCCR ", FPU_FPCCR);
    put('\n');
    svc_case("SVC, eager stacking, handler without FP", 0);
    svc_case("SVC, eager stacking, handler with FP", 1);
    FPU_FPCCR |= FPCCR_LSPEN;

    /* Each task alone first: what the switched runs must reproduce. */
    uint32_t in[32], alone[2][33];
    task_inputs(in, 3);
    work(in, alone[0], 0u, ITERATIONS);
    task_inputs(in, 7);
    work(in, alone[1], 0x00C00000u, ITERATIONS);

    /* Task 1 starts from a basic frame (EXC_RETURN thread, PSP) under the callee-saved registers. */
    uint32_t *sp = &task1_stack[512];
    *--sp = 1u << 24;             /* xPSR */
    *--sp = (uint32_t)task1;      /* PC */
    *--sp = 0xFFFFFFFFu;          /* LR */
    for (int i = 0; i < 5; i++) { /* R12, R3-R0 */
        *--sp = 0;
    }
    *--sp = 0xFFFFFFFDu; /* EXC_RETURN */
    for (int i = 0; i < 8; i++) { /* R11-R4 */
        *--sp = 0;
    }
    task_sp[1] = sp;
    current_task = 0;
    /* Task 0 is this code, now on the process stack (where it was); handlers get a main stack of their own. */
    __asm__ volatile("mrs r0, msp\n msr psp, r0\n mov r0, #2\n msr control, r0\n isb\n msr msp, %0\n" : : "r"(&handler_stack[256]) : "r0", "memory");
    SCB_SHPR3 = 0xF0F00000u; /* PendSV and SysTick lowest */
    yield_bits = ICSR_PENDSVSET;
    SYST_RVR = 997;
    SYST_CVR = 0;
    SYST_CSR = 7;
    task_inputs(in, 3);
    work(in, results[0], 0u, ITERATIONS);
    while (!task1_done) {
        SCB_ICSR = ICSR_PENDSVSET;
    }
    SYST_CSR = 0;
    print_result("task 0", results[0], alone[0]);
    print_result("task 1", results[1], alone[1]);
    print(switches >= 2 * (ITERATIONS / 64) ? "context switches: enough\n" : "context switches: too few\n");
    print("done\n");
    exit_code(0);
}
