/*
 * A program to debug: the GDB server tests break at main, step into add, read and change `total`,
 * watch it, and continue to the exit code (10 unless the debugger changed something). Built -O0 -g
 * for the Cortex-M3 (STM32F103, semihosting exit), RV32 and RV64 virt (SiFive test device) and Cortex-A53 virt
 * (semihosting exit); build.sh.
 */
#include <stdint.h>

volatile int total;

__attribute__((noinline)) int add(int a, int b)
{
    int sum = a + b;
    return sum;
}

int main(void)
{
    for (int i = 0; i < 5; i++) {
        total = add(total, i);
    }
    return total;
}

#if defined(__arm__)
extern uint32_t _estack, _sbss, _ebss;

__attribute__((noreturn)) void Reset_Handler(void)
{
    for (uint32_t *p = &_sbss; p < &_ebss; p++) {
        *p = 0;
    }
    uint32_t block[2] = {0x20026u, (uint32_t)main()}; /* ADP_Stopped_ApplicationExit, code */
    register uint32_t r0 __asm__("r0") = 0x20u;        /* SYS_EXIT_EXTENDED */
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used)) static void (*const vectors[2])(void) = {
    (void (*)(void))&_estack, Reset_Handler,
};
#elif defined(__riscv)
__attribute__((naked, section(".text.start"))) void _start(void)
{
    __asm__ volatile(
        "la sp, _stack_top\n"
        "la t0, _sbss\n"
        "la t1, _ebss\n"
        "1: bgeu t0, t1, 2f\n"
        "sb zero, 0(t0)\n"
        "addi t0, t0, 1\n"
        "j 1b\n"
        "2: call main\n"
        "slli a0, a0, 16\n"
        "li t0, 0x3333\n" /* the SiFive test device: code << 16 | FAIL is exit(code) */
        "or t0, t0, a0\n"
        "li t1, 0x00100000\n"
        "sw t0, 0(t1)\n"
        "3: j 3b\n");
}
#elif defined(__aarch64__)
void exit_with(int code)
{
    uint64_t block[2] = {0x20026, (uint64_t)code};
    register uint64_t op __asm__("x0") = 0x18;
    register uint64_t arg __asm__("x1") = (uint64_t)block;
    __asm__ volatile("hlt #0xf000" ::"r"(op), "r"(arg) : "memory");
    for (;;) {
    }
}

__asm__(".pushsection .text.start, \"ax\"\n"
        ".global _start\n"
        "_start:\n"
        "    ldr x0, =_stack_top\n"
        "    mov sp, x0\n"
        "    bl main\n"
        "    b exit_with\n"
        ".popsection\n");
#endif
