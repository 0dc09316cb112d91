#!/usr/bin/env bash
# Prepares this machine for the real KVM test tier and `./vmqsc bench kvm`:
#  - installs libvirt + QEMU from Debian (software-emulated TCG guests; no hardware virtualization needed),
#  - builds a tiny lab guest (Debian cloud kernel + busybox-static, unpacked, not installed) whose init keeps
#    rewriting part of its memory and prints "GUEST-TICK <n>" on its serial port,
#  - starts virtlogd and libvirtd without systemd,
#  - allows userfaultfd for the unprivileged QEMU process (needed by QEMU's background-snapshot).
# Idempotent: running it again only redoes what is missing. Needs root.
# The guest lands in $VMQSC_GUEST_DIR (default /var/tmp/vmqsc-guest), where the tests look for it.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
guest_dir="${VMQSC_GUEST_DIR:-/var/tmp/vmqsc-guest}"

log() { echo "setup-kvm: $*" >&2; }

if [ "$(id -u)" != 0 ]; then log "must run as root"; exit 1; fi

packages=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils cpio)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- the lab guest -------------------------------------------------------------------------------
mkdir -p "$guest_dir"
chmod 755 "$guest_dir"
if [ ! -s "$guest_dir/vmlinuz" ] || [ ! -s "$guest_dir/initrd.img" ] || [ "$0" -nt "$guest_dir/initrd.img" ]; then
  work="$guest_dir/build"
  rm -rf "$work"; mkdir -p "$work/debs" "$work/root"
  kernel_pkg="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
  if [ -z "$kernel_pkg" ]; then apt-get update -qq; kernel_pkg="$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"; fi
  log "unpacking $kernel_pkg and busybox-static"
  chown _apt "$work/debs" 2>/dev/null || true  # apt downloads as _apt when it can
  (cd "$work/debs" && apt-get download -qq "$kernel_pkg" busybox-static)
  for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/root"; done
  cp "$(ls "$work"/root/boot/vmlinuz-* | head -1)" "$guest_dir/vmlinuz"

  init="$work/initramfs"
  mkdir -p "$init/bin" "$init/proc" "$init/sys" "$init/dev" "$init/data"
  cp "$work/root/bin/busybox" "$init/bin/busybox"
  for tool in sh mount dd sleep cat echo grep sed tr head; do ln -sf busybox "$init/bin/$tool"; done
  cat > "$init/init" <<'INIT'
#!/bin/sh
# Lab guest: fill part of RAM with random data, then keep rewriting a "hot" part of it in place and print a
# counter on the serial port. Kernel parameters: vmqsc.fill_mib (cold data), vmqsc.hot_kib (rewritten each
# tick), vmqsc.tick (seconds between ticks).
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs -o size=100% data /data
fill_mib=48; hot_kib=1024; tick=0.2
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    vmqsc.fill_mib=*) fill_mib="${arg#*=}" ;;
    vmqsc.hot_kib=*) hot_kib="${arg#*=}" ;;
    vmqsc.tick=*) tick="${arg#*=}" ;;
  esac
done
dd if=/dev/urandom of=/data/cold bs=1M count="$fill_mib" 2>/dev/null
dd if=/dev/urandom of=/data/hot bs=1K count="$hot_kib" 2>/dev/null
echo "GUEST-READY fill_mib=$fill_mib hot_kib=$hot_kib" > /dev/ttyS0
n=0
while true; do
  # conv=notrunc rewrites the same page-cache pages, so the same guest memory changes every tick.
  dd if=/dev/urandom of=/data/hot bs=1K count="$hot_kib" conv=notrunc 2>/dev/null
  n=$((n + 1))
  echo "GUEST-TICK $n" > /dev/ttyS0
  sleep "$tick"
done
INIT
  chmod 755 "$init/init"
  (cd "$init" && find . | cpio -o -H newc --quiet | gzip -1 > "$guest_dir/initrd.img.tmp")
  mv "$guest_dir/initrd.img.tmp" "$guest_dir/initrd.img"
  chmod 644 "$guest_dir/vmlinuz" "$guest_dir/initrd.img"
  rm -rf "$work"
  log "guest built in $guest_dir"
fi

# --- daemons ---------------------------------------------------------------------------------------
# userfaultfd write-protect for QEMU, which runs as the unprivileged libvirt-qemu user.
sysctl -q -w vm.unprivileged_userfaultfd=1 || log "could not set vm.unprivileged_userfaultfd=1 (background-snapshot will fall back to pre-copy)"

answers() { virsh -c qemu:///system version >/dev/null 2>&1; }
# A daemon that is still shutting down looks alive to pgrep but will never answer: wait for it to go.
wait_gone() { for _ in $(seq 1 30); do pgrep -x "$1" >/dev/null || return 0; sleep 0.5; done; return 1; }

if ! pgrep -x virtlogd >/dev/null; then /usr/sbin/virtlogd -d; fi
if ! answers; then
  if pgrep -x libvirtd >/dev/null; then
    # Starting (its first start takes seconds) or stopping: give it time to answer before deciding.
    for _ in $(seq 1 40); do answers && break; pgrep -x libvirtd >/dev/null || break; sleep 0.5; done
  fi
  if ! answers; then
    wait_gone libvirtd || { log "a libvirtd that does not answer is still running"; exit 1; }
    wait_gone virtlogd || true
    pgrep -x virtlogd >/dev/null || /usr/sbin/virtlogd -d
    log "starting libvirtd"
    /usr/sbin/libvirtd -d
  fi
fi
for _ in $(seq 1 60); do
  answers && break
  sleep 0.5
done
virsh -c qemu:///system version >/dev/null || { log "libvirtd did not answer"; exit 1; }
log "ready: $(virsh -c qemu:///system version | grep -i 'running hypervisor')"
