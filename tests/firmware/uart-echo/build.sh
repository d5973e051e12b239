#!/usr/bin/env bash
# Rebuilds the UART echo programs (the ELFs are committed, so the tests need no cross compiler).
# echo-m3: STM32F103 USART1 with its RXNE interrupt and WFI; echo-rv32 and echo-a53: the virt boards' 16550 and PL011, polled.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
need=()
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi)
command -v riscv64-unknown-elf-gcc >/dev/null || need+=(gcc-riscv64-unknown-elf)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update && apt-get install -y --no-install-recommends "${need[@]}"
fi
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-builtin -g0 \
  -Wall -Wextra -Werror -T link-m3.ld -Wl,--gc-sections -o echo-m3.elf echo-m3.c
riscv64-unknown-elf-gcc -march=rv32imac_zicsr -mabi=ilp32 -Os -ffreestanding -nostdlib -fno-builtin -g0 \
  -Wall -Wextra -Werror -T link-rv.ld -Wl,--gc-sections -Wl,--no-warn-rwx-segments -o echo-rv32.elf echo-rv32.c
aarch64-linux-gnu-gcc -mcpu=cortex-a53 -mgeneral-regs-only -Os -ffreestanding -nostdlib -nostartfiles -fno-builtin \
  -fno-pic -no-pie -static -g0 -Wall -Wextra -Werror -T link-a53.ld -Wl,--gc-sections -Wl,--build-id=none \
  -Wl,--no-warn-rwx-segments -Wl,-z,max-page-size=4096 -o echo-a53.elf echo-a53.c
