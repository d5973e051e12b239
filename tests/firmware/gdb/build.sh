#!/usr/bin/env bash
# Rebuilds the GDB server tests' program (-O0 -g, so a debugger has lines and variables) for each CPU.
# The ELFs are committed; the linker scripts are the examples'.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
examples=../../../examples/firmware
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -O0 -g -ffreestanding -nostdlib -fno-builtin -Wall -Wextra -Werror \
  -T "$examples/stm32f103/link.ld" -o debugme-m3.elf debugme.c
riscv64-unknown-elf-gcc -march=rv32imac_zicsr -mabi=ilp32 -O0 -g -ffreestanding -nostdlib -fno-builtin -Wall -Wextra -Werror \
  -T "$examples/riscv-virt/link.ld" -Wl,--no-warn-rwx-segments -o debugme-rv32.elf debugme.c
riscv64-unknown-elf-gcc -march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany -O0 -g -ffreestanding -nostdlib -fno-builtin -Wall -Wextra -Werror \
  -T "$examples/riscv-virt/link.ld" -Wl,--no-warn-rwx-segments -o debugme-rv64.elf debugme.c
aarch64-linux-gnu-gcc -mcpu=cortex-a53 -mgeneral-regs-only -O0 -g -ffreestanding -nostdlib -nostartfiles -fno-builtin \
  -fno-pic -no-pie -static -Wall -Wextra -Werror -T "$examples/a53-virt/link.ld" -Wl,--build-id=none \
  -Wl,--no-warn-rwx-segments -Wl,-z,max-page-size=4096 -o debugme-a53.elf debugme.c
echo "built: $(ls ./*.elf)"
