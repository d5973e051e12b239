#!/usr/bin/env bash
# Rebuilds the Cortex-M4F newlib program (hard-float ABI, printf of floats over semihosting) and records what
# QEMU's netduinoplus2 prints (printf-float.qemu.txt, exit code on its last line). The ELF and the record are
# committed, so the tests need neither the cross compiler nor QEMU; run this after changing the source.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
need=()
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi)
dpkg -s libnewlib-arm-none-eabi >/dev/null 2>&1 || need+=(libnewlib-arm-none-eabi)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update && apt-get install -y --no-install-recommends "${need[@]}"
fi
arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -Wall -Wextra -Werror \
  --specs=rdimon.specs -u _printf_float -T link.ld -Wl,--gc-sections -o printf-float.elf printf-float.c
arm-none-eabi-strip --strip-debug printf-float.elf
set +e
timeout 30 qemu-system-arm -M netduinoplus2 -display none -monitor none -serial stdio \
  -semihosting-config enable=on,target=native -kernel printf-float.elf > printf-float.qemu.txt < /dev/null
printf '\n@exit %d\n' $? >> printf-float.qemu.txt
set -e
