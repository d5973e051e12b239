#!/usr/bin/env bash
# Rebuilds the AArch64 differential programs and records what QEMU's virt board (Cortex-A53) prints for
# each (NAME.qemu.txt, exit code on its last line). ELFs and records are committed, so the tests need
# neither the cross compiler nor QEMU; run this after changing a source.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
command -v qemu-system-aarch64 >/dev/null || need+=(qemu-system-arm)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update && apt-get install -y --no-install-recommends "${need[@]}"
fi
for src in *.c; do
  name="${src%.c}"
  aarch64-linux-gnu-gcc -mcpu=cortex-a53 -mgeneral-regs-only -Os -ffreestanding -nostdlib -nostartfiles -fno-builtin \
    -fno-pic -no-pie -static -g0 -Wall -Wextra -Werror -T link.ld -Wl,--gc-sections -Wl,--build-id=none \
    -Wl,--no-warn-rwx-segments -Wl,-z,max-page-size=4096 -o "$name.elf" "$src"
  set +e
  timeout 30 qemu-system-aarch64 -M virt -cpu cortex-a53 -nic none -display none -monitor none -serial stdio \
    -semihosting-config enable=on,target=native -kernel "$name.elf" > "$name.qemu.txt" < /dev/null
  printf '\n@exit %d\n' $? >> "$name.qemu.txt"
  set -e
done
