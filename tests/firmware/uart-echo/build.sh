#!/usr/bin/env bash
# Rebuilds the UART echo programs (the ELFs are committed, so the tests need no cross compiler).
# echo-m3: STM32F103 USART1 with its RXNE interrupt and WFI; echo-rv32: the virt board's 16550 (polled).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
need=()
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi)
command -v riscv64-unknown-elf-gcc >/dev/null || need+=(gcc-riscv64-unknown-elf)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update && apt-get install -y --no-install-recommends "${need[@]}"
fi
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-builtin -g0 \
  -Wall -Wextra -Werror -T link-m3.ld -Wl,--gc-sections -o echo-m3.elf echo-m3.c
