/*
 * AArch64 exceptions on QEMU's virt board with a Cortex-A53, run on MemGate's AArch64 machine and on
 * QEMU, whose outputs the tests compare: the exception level and masks a bare-metal -kernel ELF starts
 * with; VBAR_EL1 vectors for synchronous exceptions (SVC from EL1 and EL0, BRK, undefined instruction,
 * FP access trap, data and instruction aborts, with ESR_EL1/FAR_EL1/ELR_EL1); the GICv2 (distributor
 * and CPU interface registers, SGIs, SPIs, priorities, masking, FIQ for group 0 with FIQEn); the generic
 * timer (CNTP and CNTV, PPIs 30 and 27, TVAL and CVAL); PSCI calls over HVC (virt's conduit). Prints over the PL011 UART and exits with
 * semihosting SYS_EXIT (code 7 when it got to the end).
 *   qemu-system-aarch64 -M virt -cpu cortex-a53 -nographic -semihosting -kernel exceptions.elf
 */
#include <stdint.h>

#define UART_DR (*(volatile uint32_t *)0x09000000u)
#define UART_FR (*(volatile uint32_t *)0x09000018u)
#define GICD(off) (*(volatile uint32_t *)(0x08000000u + (off)))
#define GICC(off) (*(volatile uint32_t *)(0x08010000u + (off)))
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IGROUPR 0x080
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ISPENDR 0x200
#define GICD_ICPENDR 0x280
#define GICD_ISACTIVER 0x300
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xC00
#define GICD_SGIR 0xF00
#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_IAR 0x0C
#define GICC_EOIR 0x10
#define GICC_RPR 0x14
#define GICC_HPPIR 0x18
#define NOWHERE 0x100000000ull /* nothing on QEMU's virt (RAM ends at 0x48000000) nor on the template */

#define READ_SYS(name) ({ uint64_t v_; __asm__ volatile("mrs %0, " #name : "=r"(v_)); v_; })
#define WRITE_SYS(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)) : "memory")

struct frame {
    uint64_t x[31];
    uint64_t elr, spsr;
};

#include "print.h"

static volatile int phys_ticks, virt_ticks, sgis, spis, fiqs, nested;
static uint64_t el0_stack[256] __attribute__((aligned(16)));
void back_in_el1(void);
void el0_code(void);
void jump_nowhere(void);

static void irq(int fiq)
{
    uint32_t iar = GICC(GICC_IAR);
    uint32_t id = iar & 0x3FF;
    print(fiq ? "  fiq " : "  irq ");
    field("iar", iar);
    field("rpr", GICC(GICC_RPR));
    if (id == 30) {
        phys_ticks++;
        field("ctl", READ_SYS(cntp_ctl_el0));
        if (phys_ticks < 3) {
            WRITE_SYS(cntp_tval_el0, 2000);
        } else {
            WRITE_SYS(cntp_ctl_el0, 3); /* masked: the line drops */
        }
    } else if (id == 27) {
        virt_ticks++;
        if (virt_ticks < 2) {
            WRITE_SYS(cntv_cval_el0, READ_SYS(cntvct_el0) + 1500);
        } else {
            WRITE_SYS(cntv_ctl_el0, 0);
        }
    } else if (id < 16) {
        sgis++;
    } else if (id == 41) {
        /* Raise a higher-priority SPI and let it preempt this handler. */
        GICD(GICD_ISPENDR + 4) = 1u << (42 - 32);
        field("hppir", GICC(GICC_HPPIR));
        __asm__ volatile("msr daifclr, #2; isb; nop; nop; msr daifset, #2" ::: "memory");
        field("nested", nested);
        spis++;
    } else if (id == 42) {
        nested++;
        spis++;
    } else if (id == 43) {
        fiqs++;
    } else if (id < 1020) {
        spis++;
    }
    print("\n");
    if (id < 1020) {
        GICC(GICC_EOIR) = iar;
        field("   after eoi rpr", GICC(GICC_RPR));
        print("\n");
    }
}

void handle(uint64_t kind, struct frame *f)
{
    if ((kind & 3) == 1 || (kind & 3) == 2) {
        irq((kind & 3) == 2);
        return;
    }
    uint64_t esr = READ_SYS(esr_el1);
    uint64_t ec = esr >> 26;
    print("  sync ");
    field("vector", kind);
    field("esr", esr);
    field("spsr.m", f->spsr & 0x3CF);
    switch (ec) {
    case 0x15: /* SVC */
        field("imm", esr & 0xFFFF);
        if (kind >= 8) {
            field("sp_el0 ok", READ_SYS(sp_el0) == (uint64_t)&el0_stack[256]);
            f->elr = (uint64_t)back_in_el1;
            f->spsr = 0x3C5;
        }
        break;
    case 0x3C: /* BRK */
        field("imm", esr & 0xFFFF);
        f->elr += 4;
        break;
    case 0x00: /* undefined */
        field("at", f->elr - (uint64_t)handle);
        f->elr += 4;
        break;
    case 0x07: /* FP access trap: enable FP and retry */
        WRITE_SYS(cpacr_el1, 3u << 20);
        __asm__ volatile("isb");
        break;
    case 0x24:
    case 0x25: /* data abort */
        field("far", READ_SYS(far_el1));
        f->elr += 4;
        break;
    case 0x20:
    case 0x21: /* instruction abort */
        field("far", READ_SYS(far_el1));
        field("elr", f->elr);
        f->elr = f->x[30];
        break;
    default:
        print("unexpected; stopping\n");
        semihosting_exit(99);
    }
    print("\n");
}

static void wait_for(volatile int *counter, int value)
{
    while (*counter < value) {
        __asm__ volatile("wfi");
    }
}

int main(void)
{
    print("boot: ");
    field("el", READ_SYS(CurrentEL) >> 2);
    field("daif", READ_SYS(daif));
    field("spsel", READ_SYS(spsel));
    field("cpacr", READ_SYS(cpacr_el1));
    field("cntfrq", READ_SYS(cntfrq_el0));
    field("pfr0", READ_SYS(id_aa64pfr0_el1));   /* EL2 and EL3 not implemented on virt without virtualization/secure */
    print("\n");
    extern char vectors[];
    WRITE_SYS(vbar_el1, vectors);
    __asm__ volatile("isb");

    print("svc:\n");
    __asm__ volatile("svc #0x123" ::: "memory");
    print("brk:\n");
    __asm__ volatile("brk #0x7" ::: "memory");
    print("udf:\n");
    __asm__ volatile("udf #0" ::: "memory");
    print("psci over hvc:\n");
    static const uint64_t calls[][3] = {
        { 0x84000000, 0, 0 },          /* PSCI_VERSION */
        { 0x8400000A, 0x84000008, 0 }, /* PSCI_FEATURES(SYSTEM_OFF) */
        { 0x8400000A, 0x84000005, 0 }, /* PSCI_FEATURES(MIGRATE) */
        { 0x84000006, 0, 0 },          /* MIGRATE_INFO_TYPE */
        { 0xC4000004, 0, 0 },          /* AFFINITY_INFO(this CPU, level 0) */
        { 0xC4000004, 1, 0 },          /* AFFINITY_INFO(no such CPU, level 0) */
        { 0xC4000003, 0, 0 },          /* CPU_ON(this CPU) */
        { 0xC4000003, 0x100, 0 },      /* CPU_ON(no such CPU) */
        { 0x84000005, 0, 0 },          /* MIGRATE */
    };
    for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        uint64_t result;
        __asm__ volatile("mov x0, %1\n mov x1, %2\n mov x2, %3\n hvc #0\n mov %0, x0"
                         : "=r"(result) : "r"(calls[i][0]), "r"(calls[i][1]), "r"(calls[i][2]) : "x0", "x1", "x2", "x3", "memory");
        field("  fn", calls[i][0]);
        field("x0", result);
        print("\n");
    }
    uint64_t unknown;
    __asm__ volatile("mov x0, #0x1234\n hvc #0\n mov %0, x0" : "=r"(unknown) : : "x0", "memory");
    field("  function 0x1234: x0", unknown);
    print("\n");
    print("fp trap:\n");
    uint64_t bits;
    /* Built with -mgeneral-regs-only: nothing else uses d0. */
    __asm__ volatile("fmov d0, %1; fadd d0, d0, d0; fmov %0, d0" : "=r"(bits) : "r"(0x3FF8000000000000ull));
    field("  2*1.5 bits", bits);
    print("\n");
    print("load abort:\n");
    uint64_t value = 0x1234;
    __asm__ volatile("ldr %0, [%1]" : "+r"(value) : "r"(NOWHERE) : "memory");
    field("  value kept", value);
    print("\n");
    print("store abort:\n");
    __asm__ volatile("str %0, [%1]" ::"r"(value), "r"(NOWHERE + 8) : "memory");
    print("fetch abort:\n");
    __asm__ volatile("blr %0" ::"r"(NOWHERE + 0x40) : "x30", "memory");
    print("el0:\n");
    WRITE_SYS(sp_el0, &el0_stack[256]);
    WRITE_SYS(spsr_el1, 0); /* EL0t, interrupts unmasked */
    WRITE_SYS(elr_el1, el0_code);
    __asm__ volatile("eret");
    __builtin_unreachable();
}

static void gic_and_timers(void);

void back_in_el1(void)
{
    print("back in EL1: ");
    field("el", READ_SYS(CurrentEL) >> 2);
    field("spsel", READ_SYS(spsel));
    print("\n");
    gic_and_timers();
}

static void gic_and_timers(void)
{
    print("gic:\n");
    field("  typer", GICD(GICD_TYPER));
    field("isenabler0", GICD(GICD_ISENABLER));
    field("icfgr0", GICD(GICD_ICFGR));
    field("icfgr1", GICD(GICD_ICFGR + 4));
    field("itargetsr8", GICD(GICD_ITARGETSR + 32));
    field("pmr", GICC(GICC_PMR));
    field("rpr", GICC(GICC_RPR));
    field("iar", GICC(GICC_IAR));
    print("\n");
    GICD(GICD_CTLR) = 1;
    GICC(GICC_CTLR) = 1;
    GICC(GICC_PMR) = 0xF0;
    GICD(GICD_ICENABLER) = 0xFFFFFFFFu;
    field("  isenabler0 after clear", GICD(GICD_ISENABLER));
    GICD(GICD_IPRIORITYR + 40) = 0x2040A080u; /* 40: 0x80, 41: 0xA0, 42: 0x40, 43: 0x20 */
    field("ipriorityr10", GICD(GICD_IPRIORITYR + 40));
    GICD(GICD_ITARGETSR + 40) = 0x01010101u;
    field("itargetsr10", GICD(GICD_ITARGETSR + 40));
    print("\n");

    print("masked spi:\n");
    GICD(GICD_ISENABLER + 4) = 1u << (40 - 32);
    GICD(GICD_ISPENDR + 4) = 1u << (40 - 32);
    field("  ispendr1", GICD(GICD_ISPENDR + 4));
    field("hppir", GICC(GICC_HPPIR));
    print("\n");
    __asm__ volatile("msr daifclr, #2; isb" ::: "memory");
    field("  spis", spis);
    print("\n");

    print("below pmr:\n");
    GICC(GICC_PMR) = 0x80;
    GICD(GICD_ISPENDR + 4) = 1u << (40 - 32);
    field("  spis", spis);
    field("hppir", GICC(GICC_HPPIR));
    GICC(GICC_PMR) = 0xF0;
    __asm__ volatile("isb; nop" ::: "memory");
    field("spis", spis);
    print("\n");

    print("disabled spi:\n");
    GICD(GICD_ICENABLER + 4) = 1u << (40 - 32);
    GICD(GICD_ISPENDR + 4) = 1u << (40 - 32);
    field("  spis", spis);
    GICD(GICD_ICPENDR + 4) = 1u << (40 - 32);
    field("ispendr1", GICD(GICD_ISPENDR + 4));
    print("\n");

    print("sgi:\n");
    GICD(GICD_ISENABLER) = 1u << 3;
    GICD(GICD_SGIR) = (2u << 24) | 3; /* to this CPU only */
    __asm__ volatile("isb; nop" ::: "memory");
    GICD(GICD_SGIR) = (0u << 24) | (1u << 16) | 5; /* target list: CPU 0 */
    __asm__ volatile("isb; nop" ::: "memory");
    GICD(GICD_SGIR) = (1u << 24) | 6; /* all but this CPU: none here */
    __asm__ volatile("isb; nop" ::: "memory");
    field("  sgis", sgis);
    print("\n");

    print("nesting:\n");
    GICD(GICD_ISENABLER + 4) = (1u << (41 - 32)) | (1u << (42 - 32));
    GICD(GICD_ISPENDR + 4) = 1u << (41 - 32);
    __asm__ volatile("isb; nop" ::: "memory");
    field("  spis", spis);
    field("nested", nested);
    print("\n");

    print("fiq:\n");
    __asm__ volatile("msr daifclr, #1; isb" ::: "memory");
    GICC(GICC_CTLR) = 1u | (1u << 3); /* EnableGrp0 | FIQEn: group 0 is signalled as FIQ */
    GICD(GICD_ISENABLER + 4) = 1u << (43 - 32);
    GICD(GICD_ISPENDR + 4) = 1u << (43 - 32);
    __asm__ volatile("isb; nop" ::: "memory");
    field("  fiqs", fiqs);
    print("\n");
    GICC(GICC_CTLR) = 1u;

    print("physical timer:\n");
    __asm__ volatile("msr daifset, #2" ::: "memory"); /* the first tick waits for the prints */
    GICD(GICD_ISENABLER) = (1u << 30) | (1u << 27);
    field("  ctl", READ_SYS(cntp_ctl_el0));
    uint64_t before = READ_SYS(cntpct_el0);
    WRITE_SYS(cntp_tval_el0, 3000);
    field("cval-pct>=3000", READ_SYS(cntp_cval_el0) - before >= 3000);
    WRITE_SYS(cntp_ctl_el0, 1);
    print("\n");
    __asm__ volatile("msr daifclr, #2" ::: "memory");
    wait_for(&phys_ticks, 3);
    field("  ticks", phys_ticks);
    field("ctl", READ_SYS(cntp_ctl_el0));
    field("counts up", READ_SYS(cntpct_el0) > before);
    print("\n");

    print("virtual timer:\n");
    WRITE_SYS(cntv_cval_el0, READ_SYS(cntvct_el0) + 2500);
    WRITE_SYS(cntv_ctl_el0, 1);
    wait_for(&virt_ticks, 2);
    field("  ticks", virt_ticks);
    field("ctl", READ_SYS(cntv_ctl_el0));
    print("\n");

    print("masked timer:\n");
    __asm__ volatile("msr daifset, #2" ::: "memory");
    WRITE_SYS(cntp_tval_el0, 0);
    WRITE_SYS(cntp_ctl_el0, 1);
    __asm__ volatile("isb" ::: "memory");
    field("  ctl", READ_SYS(cntp_ctl_el0));
    field("ispendr0 ppi30", (GICD(GICD_ISPENDR) >> 30) & 1);
    field("hppir", GICC(GICC_HPPIR));
    WRITE_SYS(cntp_ctl_el0, 0);
    field("ispendr0 ppi30 after disable", (GICD(GICD_ISPENDR) >> 30) & 1);
    print("\n");
    print("done\n");
    semihosting_exit(7);
}

void el0_code(void)
{
    __asm__ volatile("svc #0x77" ::: "memory");
    for (;;) {
    }
}

#include "vectors.h"

#include "start.h"
