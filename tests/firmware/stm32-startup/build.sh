#!/usr/bin/env bash
# Rebuilds startup.elf, the vendor start-up sequence the STM32 peripheral tests run on STM32F103 and
# STM32F407. The ELF is committed, so the tests need no cross compiler; run this after changing startup.c.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v arm-none-eabi-gcc >/dev/null; then
  apt-get update && apt-get install -y --no-install-recommends gcc-arm-none-eabi
fi
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-builtin -g0 \
  -Wall -Wextra -Werror -Wno-override-init -T ../cortex-m/link.ld -Wl,--gc-sections -o startup.elf startup.c
