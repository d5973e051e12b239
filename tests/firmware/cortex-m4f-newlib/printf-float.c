/* Cortex-M4F with newlib (hard-float ABI) and rdimon: printf of floats and doubles over ARM
   semihosting; the reset handler enables the FPU (CPACR CP10/CP11) before newlib's start-up runs. */
#include <stdio.h>

extern void _start(void);

__attribute__((naked)) void Reset_Handler(void)
{
    __asm__ volatile(
        "ldr r0, =0xE000ED88\n"
        "ldr r1, [r0]\n"
        "orr r1, r1, #(0xF << 20)\n"
        "str r1, [r0]\n"
        "dsb\n"
        "isb\n"
        "b _start\n");
}

int main(void)
{
    volatile float f = 3.14159f;
    volatile double d = 2.718281828459045;
    printf("float %.3f, double %.9f\n", (double)f, d);
    printf("%g %e %.2f\n", (double)(f * f), d * 1e10, (double)(f / 3.0f));
    float sum = 0;
    for (int i = 0; i < 10; i++) {
        sum += 0.1f;
    }
    printf("ten times 0.1f: %.8f\n", (double)sum);
    return 4;
}

__attribute__((section(".isr_vector"), used))
static void (*const vectors[2])(void) = { (void (*)(void))0x20010000u, Reset_Handler };
