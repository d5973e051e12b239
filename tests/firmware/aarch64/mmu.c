/*
 * The AArch64 MMU turned on and off on QEMU's virt board with a Cortex-A53, run on MemGate's AArch64 machine and
 * on QEMU, whose outputs the tests compare: SCTLR_EL1 at start; RAM written and read with the MMU off; an identity
 * map of 1 GiB blocks (device memory at 0, normal memory at 0x40000000) and an alias of the RAM at 0xC0000000 turned
 * on with MAIR_EL1, TCR_EL1, TTBR0_EL1 and SCTLR_EL1.M (D5.2); a store through the alias read back through the
 * identity map; the MMU turned off again, after which the alias's address is physical and holds nothing (an external
 * abort). (Translation faults with the MMU on are left out: MemGate's AArch64 machine does not deliver faults the
 * CPU's MMU raises, and says so.) Prints over the PL011 UART and exits with semihosting SYS_EXIT (0 when it got to
 * the end).
 *   qemu-system-aarch64 -M virt -cpu cortex-a53 -nographic -semihosting -kernel mmu.elf
 */
#include <stdint.h>

#define UART_DR (*(volatile uint32_t *)0x09000000u)
#define UART_FR (*(volatile uint32_t *)0x09000018u)
#define READ_SYS(name) ({ uint64_t v_; __asm__ volatile("mrs %0, " #name : "=r"(v_)); v_; })
#define WRITE_SYS(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)) : "memory")

struct frame {
    uint64_t x[31];
    uint64_t elr, spsr;
};

#include "print.h"

/* A synchronous exception: print what the syndrome says and go on after the faulting instruction. */
void handle(uint64_t kind, struct frame *f)
{
    uint64_t esr = READ_SYS(esr_el1);
    print("  exception ");
    field("vector", kind);
    field("ec", esr >> 26);
    field("iss", esr & 0x1FFFFFF);
    field("far", READ_SYS(far_el1));
    print("\n");
    if (kind != 4) {
        semihosting_exit(99);
    }
    f->elr += 4;
}

static uint64_t l1[512] __attribute__((aligned(4096)));
static volatile uint64_t word;

#define BLOCK(pa, attr) ((uint64_t)(pa) | (1u << 10) | (3u << 8) | ((attr) << 2) | 1u)   /* AF, inner shareable, AttrIndx */

static uint64_t load(uint64_t address)
{
    uint64_t v;
    __asm__ volatile("mov %0, #0x77\n ldr %0, [%1]" : "=&r"(v) : "r"(address) : "memory");
    return v;
}

int main(void)
{
    extern char vectors[];
    WRITE_SYS(vbar_el1, vectors);
    __asm__ volatile("isb");
    print("mmu on and off on Cortex-A53\n");
    field("sctlr.m at start", READ_SYS(sctlr_el1) & 1);
    word = 0x1122334455667788ull;
    field("word", word);
    print("\n");

    l1[0] = BLOCK(0x00000000u, 0u);   /* flash, GIC, UART: device memory */
    l1[1] = BLOCK(0x40000000u, 1u);   /* RAM */
    l1[3] = BLOCK(0x40000000u, 1u);   /* the RAM again at 0xC0000000 */
    WRITE_SYS(mair_el1, 0xFF00u);     /* attr0 device nGnRnE, attr1 normal write-back */
    WRITE_SYS(tcr_el1, 25u | (1u << 8) | (1u << 10) | (3u << 12) | (1u << 23) | (2ull << 32));   /* 39-bit VAs, 4 KiB granule, no TTBR1, 40-bit PAs */
    WRITE_SYS(ttbr0_el1, l1);
    __asm__ volatile("dsb sy\n tlbi vmalle1\n dsb sy\n isb" ::: "memory");
    WRITE_SYS(sctlr_el1, READ_SYS(sctlr_el1) | 1u | (1u << 2) | (1u << 12));
    __asm__ volatile("isb");
    field("sctlr.m on", READ_SYS(sctlr_el1) & 1);
    field("word", word);
    print("\n");

    volatile uint64_t *alias = (volatile uint64_t *)((uint64_t)&word - 0x40000000u + 0xC0000000u);
    *alias = 0xAABBCCDDEEFF0011ull;
    field("word after a store through the alias", word);
    print("\n");

    WRITE_SYS(sctlr_el1, READ_SYS(sctlr_el1) & ~1ull);
    __asm__ volatile("isb");
    field("sctlr.m off", READ_SYS(sctlr_el1) & 1);
    field("word", word);
    print("\n");
    field("load from the alias's address", load((uint64_t)alias));
    print("\n");
    print("done\n");
    semihosting_exit(0);
    return 0;
}

#include "vectors.h"

#include "start.h"
