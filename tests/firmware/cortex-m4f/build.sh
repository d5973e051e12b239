#!/usr/bin/env bash
# Rebuilds the Cortex-M4F differential programs and records what QEMU's netduinoplus2 (STM32F405, Cortex-M4F)
# prints for each (NAME.qemu.txt, exit code on its last line). ELFs and records are committed, so the tests need
# neither the cross compiler nor QEMU; run this after changing a source.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
need=()
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update && apt-get install -y --no-install-recommends "${need[@]}"
fi
for src in *.c; do
  name="${src%.c}"
  arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -ffreestanding -nostdlib -fno-builtin -g0 \
    -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -o "$name.elf" "$src"
  set +e
  timeout 30 qemu-system-arm -M netduinoplus2 -display none -monitor none -serial stdio \
    -semihosting-config enable=on,target=native -kernel "$name.elf" > "$name.qemu.txt" < /dev/null
  printf '\n@exit %d\n' $? >> "$name.qemu.txt"
  set -e
done
