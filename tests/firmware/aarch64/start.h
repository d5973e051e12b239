/* Reset for the AArch64 differential programs: a stack at the top of the RAM used (link.ld's _stack_top), then main.
   Header-only (top-level asm), included once at the end of each program. */
#ifndef START_H
#define START_H
__asm__(".section .text.start, \"ax\"\n"
        ".global _start\n"
        "_start:\n"
        "    ldr x0, =_stack_top\n"
        "    mov sp, x0\n"
        "    bl main\n"
        "    b .\n"
        "    .ltorg\n");
#endif
