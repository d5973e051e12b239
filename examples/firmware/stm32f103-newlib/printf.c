/* STM32F103 with newlib and rdimon: ordinary C stdio over ARM semihosting. printf goes to stdout,
   fprintf(stderr) to stderr, argv[0] is the image's name and main's return value is the exit code
   (rdimon finds SYS_EXIT_EXTENDED through ":semihosting-features"). Runs unchanged on QEMU:
     qemu-system-arm -M stm32vldiscovery -nographic -semihosting -kernel printf.elf */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("printf from newlib: %d + %d = %d\n", 2, 3, 2 + 3);
    printf("argc %d, argv[0] ends in %s\n", argc, argc > 0 && strlen(argv[0]) >= 10 ? argv[0] + strlen(argv[0]) - 10 : "?");
    fprintf(stderr, "this line went to stderr\n");
    return 3;
}

/* rdimon's crt0 provides _start; the core needs only the initial SP and the reset vector. */
extern void _start(void);
__attribute__((section(".isr_vector"), used))
static void (*const vectors[2])(void) = { (void (*)(void))0x20002000u, _start };
