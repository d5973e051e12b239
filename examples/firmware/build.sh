#!/usr/bin/env bash
# Rebuilds the example firmware and its HEX and S-record copies. The results are committed, so tests
# need no cross compiler; run this after changing a source. Installs Debian's cross compiler if missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
need=()
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi)
dpkg -s libnewlib-arm-none-eabi >/dev/null 2>&1 || need+=(libnewlib-arm-none-eabi)
command -v riscv64-unknown-elf-gcc >/dev/null || need+=(gcc-riscv64-unknown-elf)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update && apt-get install -y --no-install-recommends "${need[@]}"
fi
(
  cd stm32f103
  arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-builtin -g0 \
    -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -o hello.elf hello.c
  arm-none-eabi-objcopy -O ihex hello.elf hello.hex
  arm-none-eabi-objcopy -O srec --srec-forceS3 hello.elf hello.srec
  arm-none-eabi-objcopy -O binary hello.elf hello.bin
  arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -O2 -ffreestanding -nostdlib -fno-builtin -g0 \
    -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -o loops.elf loops.c
  arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-builtin -g0 \
    -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -o systick.elf systick.c
  arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-builtin -g0 \
    -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -o nvic.elf nvic.c
  arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-builtin -g0 \
    -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -o tasks.elf tasks.c
  arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-builtin -g0 \
    -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -o mailbox.elf mailbox.c
)
(
  cd stm32f103-newlib
  arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -Wall -Wextra -Werror --specs=rdimon.specs -T link.ld \
    -Wl,--gc-sections -o printf.elf printf.c
  arm-none-eabi-strip --strip-debug printf.elf
)
(
  cd riscv-virt
  riscv64-unknown-elf-gcc -march=rv32imac_zicsr -mabi=ilp32 -Os -ffreestanding -nostdlib -fno-builtin -g0 \
    -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -Wl,--no-warn-rwx-segments -o hello-rv32.elf hello.c
  riscv64-unknown-elf-gcc -march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany -Os -ffreestanding -nostdlib -fno-builtin -g0 \
    -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -Wl,--no-warn-rwx-segments -o hello-rv64.elf hello.c
)
(
  cd a53-virt
  aarch64-linux-gnu-gcc -mcpu=cortex-a53 -mgeneral-regs-only -Os -ffreestanding -nostdlib -nostartfiles -fno-builtin \
    -fno-pic -no-pie -static -g0 -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -Wl,--build-id=none \
    -Wl,--no-warn-rwx-segments -Wl,-z,max-page-size=4096 -o hello.elf hello.c
)
echo "built: $(ls stm32f103/*.elf stm32f103-newlib/*.elf riscv-virt/*.elf a53-virt/*.elf)"
