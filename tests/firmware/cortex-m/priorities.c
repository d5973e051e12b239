/*
 * Cortex-M3 priority registers, run on MemGate's STM32F103 machine and on QEMU's stm32vldiscovery, whose outputs
 * the tests compare: what BASEPRI, BASEPRI_MAX, the System Handler Priority Registers (SHPR1-3, with their
 * reserved fields and DebugMonitor's) and an NVIC priority register read back after writes, by word and by byte
 * (B3.2.10-B3.2.12, B3.4.9). Only the top four bits of each priority are written: the STM32F103 implements four,
 * QEMU's board all eight. Prints over USART1 and exits through semihosting (0 when it got to the end).
 *   qemu-system-arm -M stm32vldiscovery -display none -serial stdio -semihosting-config enable=on,target=native -kernel priorities.elf
 */
#include "hex.h"

#define SCB_SHPR1 (*(volatile uint32_t *)0xE000ED18u)
#define SCB_SHPR2 (*(volatile uint32_t *)0xE000ED1Cu)
#define SCB_SHPR3 (*(volatile uint32_t *)0xE000ED20u)
#define SHPR_BYTE(n) (*(volatile uint8_t *)(0xE000ED18u + (n)))
#define NVIC_IPR0 (*(volatile uint32_t *)0xE000E400u)
#define NVIC_IPR_BYTE(n) (*(volatile uint8_t *)(0xE000E400u + (n)))

#define READ_SPECIAL(reg) ({ uint32_t v_; __asm__ volatile("mrs %0, " reg : "=r"(v_)); v_; })
#define WRITE_SPECIAL(reg, v) __asm__ volatile("msr " reg ", %0" :: "r"((uint32_t)(v)) : "memory")

static void field(const char *name, uint32_t v)
{
    print(name);
    put(' ');
    hex(v);
    put('\n');
}

static void basepri(void)
{
    static const uint32_t values[] = {0xF0, 0x10, 0x80, 0x1F0, 0};
    for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
        WRITE_SPECIAL("basepri", values[i]);
        print("basepri ");
        hex(values[i]);
        field(" reads", READ_SPECIAL("basepri"));
    }
    /* BASEPRI_MAX: written only where it raises the priority mask (a lower nonzero value, or from 0). */
    static const uint32_t max[] = {0x80, 0xC0, 0x40, 0x00, 0x20};
    WRITE_SPECIAL("basepri", 0);
    for (unsigned i = 0; i < sizeof max / sizeof max[0]; i++) {
        WRITE_SPECIAL("basepri_max", max[i]);
        print("basepri_max ");
        hex(max[i]);
        field(" basepri reads", READ_SPECIAL("basepri"));
    }
    WRITE_SPECIAL("basepri", 0);
}

static void words(void)
{
    SCB_SHPR1 = 0xF0F0F0F0u;
    field("shpr1 0xf0f0f0f0 reads", SCB_SHPR1);
    SCB_SHPR2 = 0xF0F0F0F0u;
    field("shpr2 0xf0f0f0f0 reads", SCB_SHPR2);
    SCB_SHPR3 = 0xF0F0F0F0u;
    field("shpr3 0xf0f0f0f0 reads", SCB_SHPR3);
    SCB_SHPR1 = 0x10203040u;
    field("shpr1 0x10203040 reads", SCB_SHPR1);
    SCB_SHPR3 = 0x10203040u;
    field("shpr3 0x10203040 reads", SCB_SHPR3);
    NVIC_IPR0 = 0xF0F0F0F0u;
    field("ipr0 0xf0f0f0f0 reads", NVIC_IPR0);
    NVIC_IPR0 = 0x10203040u;
    field("ipr0 0x10203040 reads", NVIC_IPR0);
    SCB_SHPR1 = 0;
    SCB_SHPR2 = 0;
    SCB_SHPR3 = 0;
    NVIC_IPR0 = 0;
}

static void bytes(void)
{
    for (unsigned n = 0; n < 12; n++) {
        SHPR_BYTE(n) = 0xF0u;
        print("shpr byte ");
        hex(n);
        field(" reads", SHPR_BYTE(n));
        SHPR_BYTE(n) = 0;
    }
    NVIC_IPR_BYTE(1) = 0xA0u;
    field("ipr byte 1 0xa0 reads", NVIC_IPR_BYTE(1));
    NVIC_IPR_BYTE(1) = 0;
}

extern uint32_t _estack;

void Default_Handler(void)
{
    print("unexpected exception ");
    hex(READ_SPECIAL("ipsr"));
    put('\n');
    semihosting_exit_code(98);
}

void Reset_Handler(void);

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, 0, 0, 0, 0, Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
};

void Reset_Handler(void)
{
    init_memory();
    USART1_CR1 = (1u << 13) | (1u << 3);
    print("priority registers on Cortex-M3\n");
    basepri();
    words();
    bytes();
    print("done\n");
    semihosting_exit_code(0);
}
