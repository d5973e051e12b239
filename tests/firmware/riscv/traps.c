/*
 * RISC-V machine-mode traps, run on MemGate's RV32/RV64 machines and on QEMU's virt board, whose
 * outputs the tests compare: synchronous exceptions (ecall, ebreak, illegal instructions, access
 * faults, misaligned atomics) with their mcause, mepc and mtval; mip mirroring the CLINT; software
 * and timer interrupts, direct and vectored; mstatus on trap entry. Prints over the ns16550a UART
 * and exits through the SiFive test device (0 when it got to the end).
 *   qemu-system-riscv32 -M virt -bios none -nographic -kernel traps-rv32.elf
 */
#include <stdint.h>

#define UART_THR (*(volatile uint8_t *)0x10000000u)
#define UART_LSR (*(volatile uint8_t *)0x10000005u)
#define CLINT_MSIP (*(volatile uint32_t *)0x02000000u)
#define CLINT_MTIMECMP_LO (*(volatile uint32_t *)0x02004000u)
#define CLINT_MTIMECMP_HI (*(volatile uint32_t *)0x02004004u)
#define CLINT_MTIME_LO (*(volatile uint32_t *)0x0200BFF8u)
#define TEST_FINISHER (*(volatile uint32_t *)0x00100000u)
#define NOWHERE 0x08000000u /* no device here on QEMU's virt nor on MemGate's templates */
#define INTERRUPT ((uintptr_t)1 << (__riscv_xlen - 1))
#if __riscv_xlen == 64
#define STORE "sd"
#else
#define STORE "sw"
#endif

static void put(char c)
{
    while ((UART_LSR & 0x20u) == 0) {
    }
    UART_THR = (uint8_t)c;
}

static void print(const char *s)
{
    while (*s) {
        put(*s++);
    }
}

static void hex(uintptr_t v)
{
    print("0x");
    int started = 0;
    for (int shift = __riscv_xlen - 4; shift >= 0; shift -= 4) {
        unsigned digit = (v >> shift) & 0xFu;
        if (digit || started || shift == 0) {
            put("0123456789abcdef"[digit]);
            started = 1;
        }
    }
}

static void offset(intptr_t v)
{
    put(v < 0 ? '-' : '+');
    hex((uintptr_t)(v < 0 ? -v : v));
}

static void cause(uintptr_t c)
{
    if (c & INTERRUPT) {
        print("int|");
        c &= ~INTERRUPT;
    }
    hex(c);
}

/* What the trap handler saw, and where a synchronous exception resumes. */
volatile uintptr_t resume_pc;
static volatile uintptr_t seen_cause, seen_epc, seen_tval, seen_status, traps;
static volatile unsigned soft_irqs, timer_irqs;
static volatile uint32_t buffer[4] __attribute__((aligned(8))) = {0x11223344u, 0x55667788u, 0x99aabbccu, 0xddeeff00u};

static void disarm_timer(void) { CLINT_MTIMECMP_HI = 0xFFFFFFFFu; CLINT_MTIMECMP_LO = 0xFFFFFFFFu; }

static void arm_timer(uint32_t ticks)
{
    uint32_t next = CLINT_MTIME_LO + ticks;
    CLINT_MTIMECMP_HI = 0xFFFFFFFFu;
    CLINT_MTIMECMP_LO = next;
    CLINT_MTIMECMP_HI = 0;
}

static void handle(uintptr_t mcause)
{
    if (mcause == (INTERRUPT | 3u)) {
        soft_irqs++;
        CLINT_MSIP = 0;
        return;
    }
    if (mcause == (INTERRUPT | 7u)) {
        timer_irqs++;
        disarm_timer();
        return;
    }
    uintptr_t epc, tval, status;
    __asm__ volatile("csrr %0, mepc" : "=r"(epc));
    __asm__ volatile("csrr %0, mtval" : "=r"(tval));
    __asm__ volatile("csrr %0, mstatus" : "=r"(status));
    seen_cause = mcause;
    seen_epc = epc;
    seen_tval = tval;
    seen_status = status;
    traps++;
    if (traps > 40) {
        TEST_FINISHER = 0x3333u | (99u << 16); /* a trap loop: give up */
    }
    __asm__ volatile("csrw mepc, %0" ::"r"(resume_pc));
}

__attribute__((interrupt("machine"), aligned(64))) static void trap_handler(void)
{
    uintptr_t mcause;
    __asm__ volatile("csrr %0, mcause" : "=r"(mcause));
    handle(mcause);
}

/* Vectored mode: exceptions at base, interrupt cause n at base + 4n. */
void vectored_soft(void);
void vectored_other(void);
__attribute__((interrupt("machine"), used)) void vectored_soft(void)
{
    soft_irqs += 10;
    CLINT_MSIP = 0;
}

__attribute__((interrupt("machine"), used)) void vectored_other(void)
{
    uintptr_t mcause;
    __asm__ volatile("csrr %0, mcause" : "=r"(mcause));
    handle(mcause);
}

__attribute__((naked, aligned(64))) static void vector_table(void)
{
    __asm__ volatile(".option push\n.option norvc\n"
                     "j vectored_other\n j vectored_other\n j vectored_other\n j vectored_soft\n"
                     "j vectored_other\n j vectored_other\n j vectored_other\n j vectored_other\n"
                     ".option pop\n");
}

/* Runs `insn` at a label whose address comes back; a synchronous trap resumes after it. */
#define PROBE(setup, insn)                                                                               \
    ({                                                                                                   \
        uintptr_t at_;                                                                                   \
        __asm__ volatile("la t0, 1f\n" STORE " t0, resume_pc, t1\n" setup "\nla %0, 2f\n2: " insn "\n1:\n" \
                         : "=&r"(at_)                                                                    \
                         :                                                                               \
                         : "t0", "t1", "t2", "t3", "memory");                                            \
        at_;                                                                                             \
    })

/* Prints a value as "at" (the probed instruction's address), "buffer+N", or in hex. */
static void where(uintptr_t v, uintptr_t at)
{
    if (v == at) {
        print("at");
    } else if (v >= (uintptr_t)buffer && v < (uintptr_t)buffer + sizeof buffer) {
        print("buffer");
        offset((intptr_t)(v - (uintptr_t)buffer));
    } else {
        hex(v);
    }
}

/* Prints the last trap against the probed instruction's address. */
static void report(const char *what, uintptr_t at, uintptr_t before)
{
    print(what);
    if (traps == before) {
        print(": no trap\n");
        return;
    }
    print(": cause ");
    cause(seen_cause);
    print(" epc ");
    where(seen_epc, at);
    print(" tval ");
    where(seen_tval, at);
    print(" mpp ");
    hex((seen_status >> 11) & 3u);
    print(" mpie ");
    hex((seen_status >> 7) & 1u);
    print(" mie ");
    hex((seen_status >> 3) & 1u);
    put('\n');
}

static uintptr_t mip(void)
{
    uintptr_t v;
    __asm__ volatile("csrr %0, mip" : "=r"(v));
    return v & 0x88u;
}

int main(void)
{
#if __riscv_xlen == 64
    print("traps on RV64\n");
#else
    print("traps on RV32\n");
#endif
    disarm_timer();
    __asm__ volatile("csrw mtvec, %0" ::"r"(&trap_handler));
    uintptr_t before, at;

    before = traps;
    at = PROBE("", "ecall");
    report("ecall", at, before);

    before = traps;
    at = PROBE("", ".option push\n.option norvc\nebreak\n.option pop");
    report("ebreak", at, before);

    before = traps;
    at = PROBE("", "c.ebreak");
    report("c.ebreak", at, before);

    before = traps;
    at = PROBE("", ".word 0x0000000b");
    report("illegal 32-bit (custom-0)", at, before);

    before = traps;
    at = PROBE("", ".half 0x0000");
    report("illegal 16-bit (c.unimp)", at, before);

    before = traps;
    at = PROBE("", "csrw cycle, zero");
    report("write to read-only csr", at, before);

    before = traps;
    at = PROBE("li t3, 0x08000000", "lw t2, 0(t3)");
    report("load from nowhere", at, before);

    before = traps;
    at = PROBE("li t3, 0x08000000", "sw t2, 4(t3)");
    report("store to nowhere", at, before);

    before = traps;
    at = PROBE("li t3, 0x08000000", "jalr t3");
    report("jump to nowhere", at, before);

    before = traps;
    at = PROBE("la t3, buffer + 2", "amoadd.w t2, t1, (t3)");
    report("misaligned amoadd.w", at, before);

    before = traps;
    at = PROBE("la t3, buffer + 2", "lr.w t2, (t3)");
    report("misaligned lr.w", at, before);

    before = traps;
    uint32_t unaligned;
    __asm__ volatile("lw %0, 1(%1)" : "=r"(unaligned) : "r"(buffer));
    print("misaligned lw reads ");
    hex(unaligned);
    print(traps == before ? " without a trap\n" : " after a trap\n");

    /* mstatus on entry with MIE set: MPIE takes it, MIE is cleared, MPP = M. */
    __asm__ volatile("csrs mstatus, %0" ::"r"(8u));
    before = traps;
    at = PROBE("", "ecall");
    report("ecall with MIE", at, before);
    __asm__ volatile("csrc mstatus, %0" ::"r"(8u));

    /* mip mirrors the CLINT with nothing enabled. */
    print("mip at rest ");
    hex(mip());
    CLINT_MSIP = 1;
    print(", with MSIP ");
    hex(mip());
    CLINT_MSIP = 0;
    print(", cleared ");
    hex(mip());
    CLINT_MTIMECMP_HI = 0;
    CLINT_MTIMECMP_LO = 0;
    print(", with mtimecmp 0 ");
    hex(mip());
    disarm_timer();
    print(", disarmed ");
    hex(mip());
    put('\n');

    /* WFI with the timer enabled in mie but interrupts off globally: wakes up, nothing is taken. */
    __asm__ volatile("csrs mie, %0" ::"r"(0x80u));
    arm_timer(1000);
    unsigned polls = 0;
    while (!(mip() & 0x80u) && polls < 1000000u) {
        __asm__ volatile("wfi");
        polls++;
    }
    print(mip() & 0x80u ? "wfi polling mip saw MTIP" : "wfi polling mip gave up");
    print(timer_irqs ? ", and took it\n" : ", not taken\n");
    disarm_timer();
    __asm__ volatile("csrc mie, %0" ::"r"(0x80u));

    /* A software interrupt, taken at once when enabled. */
    __asm__ volatile("csrs mie, %0" ::"r"(0x8u));
    __asm__ volatile("csrs mstatus, %0" ::"r"(8u));
    CLINT_MSIP = 1;
    for (volatile int i = 0; i < 10; i++) {
    }
    print("software interrupts taken: ");
    hex(soft_irqs);
    put('\n');

    /* A timer interrupt woken from WFI. MIE is off between the check and the WFI, or an interrupt taken
       just before the WFI would leave it waiting for ever; WFI wakes on a pending enabled interrupt anyway. */
    __asm__ volatile("csrs mie, %0" ::"r"(0x80u));
    __asm__ volatile("csrc mstatus, %0" ::"r"(8u));
    arm_timer(500);
    while (timer_irqs == 0) {
        __asm__ volatile("wfi\ncsrs mstatus, %0\ncsrc mstatus, %0" ::"r"(8u));
    }
    __asm__ volatile("csrs mstatus, %0" ::"r"(8u));
    print("timer interrupts taken: ");
    hex(timer_irqs);
    put('\n');

    /* Vectored: the software interrupt goes to base + 4 * 3, exceptions to base. */
    __asm__ volatile("csrw mtvec, %0" ::"r"((uintptr_t)&vector_table | 1u));
    CLINT_MSIP = 1;
    for (volatile int i = 0; i < 10; i++) {
    }
    print("vectored software interrupts: ");
    hex(soft_irqs);
    put('\n');
    __asm__ volatile("csrc mstatus, %0" ::"r"(8u));
    before = traps;
    at = PROBE("", "ecall");
    report("vectored ecall", at, before);

    print("done\n");
    return 0;
}

__attribute__((naked, section(".text.start"))) void _start(void)
{
    __asm__ volatile(
        "la sp, _stack_top\n"
        "call main\n"
        "slli a0, a0, 16\n"
        "li t0, 0x5555\n"
        "beqz a0, 3f\n"
        "li t0, 0x3333\n"
        "3: or t0, t0, a0\n"
        "li t1, 0x00100000\n"
        "sw t0, 0(t1)\n"
        "4: j 4b\n");
}
