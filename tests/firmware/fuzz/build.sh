#!/usr/bin/env bash
# Rebuilds the fuzzing tests' target (committed; the linker script is the STM32F103 example's).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-builtin -g -Wall -Wextra -Werror \
  -T ../../../examples/firmware/stm32f103/link.ld -o planted.elf planted.c
echo "built: planted.elf"
