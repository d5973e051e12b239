#!/usr/bin/env bash
# Rebuilds the example firmware and its HEX and S-record copies. The results are committed, so tests
# need no cross compiler; run this after changing a source. Installs Debian's cross compiler if missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v arm-none-eabi-gcc >/dev/null; then
  apt-get update && apt-get install -y --no-install-recommends gcc-arm-none-eabi
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
)
echo "built: $(ls stm32f103/hello.*)"
