#!/usr/bin/env bash
# Runs the README's two commands in a minimal Debian root that has only git and the .NET SDK, as a fresh
# machine would: `./memgate run examples/firmware/stm32f103/hello.elf --device STM32F103` and `./test.sh`, in
# either order. Catches what a machine that already ran them hides (a cached engine, an installed package).
#   sudo scripts/fresh-machine-check.sh [--test-first] [--keep DIR]
# Needs root (debootstrap, chroot, bind mounts) and Debian's package mirror; about 8 minutes on 2 cores.
# The root gets this machine's .NET SDK and CA certificates (a machine with the SDK installed has both), a
# clone of the repository's HEAD and a copy of ../shared beside it. Exits 0 when both commands succeed.
set -euo pipefail

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
order=(memgate test)
keep=""
while (($#)); do
  case "$1" in
    --test-first) order=(test memgate); shift ;;
    --keep) keep="$2"; shift 2 ;;
    *) echo "usage: $0 [--test-first] [--keep DIR]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "fresh-machine-check: run as root (debootstrap and chroot need it)" >&2; exit 2; }
command -v debootstrap >/dev/null 2>&1 || apt-get install -y -qq debootstrap >/dev/null
sdk="$(dirname "$(readlink -f "$(command -v dotnet)")")"
[[ -x "$sdk/dotnet" ]] || { echo "fresh-machine-check: the .NET SDK is not installed here" >&2; exit 2; }

target="${keep:-$(mktemp -d /var/tmp/memgate-fresh.XXXXXX)}"
mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true; done
  [[ -n "$keep" ]] && return
  # Never remove through a mount that is still there (it would reach the host's /dev or /proc).
  if grep -q " $target/" /proc/mounts; then
    echo "fresh-machine-check: $target still has mounts; left in place" >&2
  else
    rm -rf --one-file-system "$target"
  fi
}
trap cleanup EXIT

echo "fresh-machine-check: a minimal Debian 12 in $target" >&2
debootstrap --variant=minbase --include=git,ca-certificates,libicu72,libssl3,zlib1g,libstdc++6,libgcc-s1 \
  bookworm "$target" http://deb.debian.org/debian >"$target.debootstrap.log" 2>&1 \
  || { tail -20 "$target.debootstrap.log" >&2; exit 1; }
rm -f "$target.debootstrap.log"
mkdir -p "$target/usr/share/dotnet"
cp -a "$sdk/." "$target/usr/share/dotnet/"
ln -sf /usr/share/dotnet/dotnet "$target/usr/bin/dotnet"
cp /usr/local/share/ca-certificates/*.crt "$target/usr/local/share/ca-certificates/" 2>/dev/null || true
chroot "$target" update-ca-certificates >/dev/null 2>&1
cp /etc/resolv.conf /etc/hosts "$target/etc/"
for fs in proc sys dev dev/pts; do
  mount --bind "/$fs" "$target/$fs"
  mounts+=("$target/$fs")
done
mkdir -p "$target/root/work"
git clone -q "$root_dir" "$target/root/work/main"
[[ -d "$root_dir/../shared" ]] && cp -a "$root_dir/../shared" "$target/root/work/shared"

in_root() {
  chroot "$target" env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
    NUGET_CERT_REVOCATION_MODE="${NUGET_CERT_REVOCATION_MODE:-online}" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
    bash -c "cd /root/work/main && $1"
}
status=0
for step in "${order[@]}"; do
  if [[ $step == memgate ]]; then
    echo "fresh-machine-check: ./memgate run examples/firmware/stm32f103/hello.elf --device STM32F103" >&2
    in_root "./memgate run examples/firmware/stm32f103/hello.elf --device STM32F103" || { echo "fresh-machine-check: ./memgate failed ($?)" >&2; status=1; }
  else
    echo "fresh-machine-check: ./test.sh" >&2
    in_root "./test.sh" || { echo "fresh-machine-check: ./test.sh failed" >&2; status=1; }
  fi
done
exit "$status"
