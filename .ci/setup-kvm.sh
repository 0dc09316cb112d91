#!/usr/bin/env bash
# Prepares this machine for the real KVM test tier and `./vmqsc bench kvm`:
#  - installs libvirt + QEMU from Debian (software-emulated TCG guests; no hardware virtualization needed),
#  - builds a tiny lab guest (Debian cloud kernel + busybox-static, unpacked, not installed) whose init keeps
#    rewriting part of its memory and prints "GUEST-TICK <n>" on its serial port; given a NIC and a data disk
#    it also runs the messaging program agent-ext/src/guest/qscmsg.c (compiled here with gcc -static),
#  - starts virtlogd and libvirtd without systemd,
#  - allows userfaultfd for the unprivileged QEMU process (needed by QEMU's background-snapshot),
#  - mounts hugetlbfs and keeps a pool of 2 MiB huge pages for the lab guests' RAM.
# Idempotent: running it again only redoes what is missing. Needs root.
# The guest lands in $VMQSC_GUEST_DIR (default /var/tmp/vmqsc-guest), where the tests look for it.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
guest_dir="${VMQSC_GUEST_DIR:-/var/tmp/vmqsc-guest}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
qscmsg_src="$repo/agent-ext/src/guest/qscmsg.c"

log() { echo "setup-kvm: $*" >&2; }

if [ "$(id -u)" != 0 ]; then log "must run as root"; exit 1; fi

packages=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils cpio gcc libc6-dev)
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
if [ ! -s "$qscmsg_src" ]; then log "missing $qscmsg_src"; exit 1; fi
if [ ! -s "$guest_dir/vmlinuz" ] || [ ! -s "$guest_dir/initrd.img" ] || [ "$0" -nt "$guest_dir/initrd.img" ] \
    || [ "$qscmsg_src" -nt "$guest_dir/initrd.img" ] || [ ! "$guest_dir/features" -nt "$guest_dir/initrd.img" ]; then
  work="$guest_dir/build"
  rm -rf "$work"; mkdir -p "$work/debs" "$work/root"
  kernel_pkg="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
  if [ -z "$kernel_pkg" ]; then apt-get update -qq; kernel_pkg="$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"; fi
  log "unpacking $kernel_pkg and busybox-static"
  chown _apt "$work/debs" 2>/dev/null || true  # apt downloads as _apt when it can
  (cd "$work/debs" && apt-get download -qq "$kernel_pkg" busybox-static)
  for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/root"; done
  # Replaced by rename, not rewritten in place: a guest may be starting from the old one right now.
  cp "$(ls "$work"/root/boot/vmlinuz-* | head -1)" "$guest_dir/vmlinuz.tmp"
  mv "$guest_dir/vmlinuz.tmp" "$guest_dir/vmlinuz"

  init="$work/initramfs"
  mkdir -p "$init/bin" "$init/proc" "$init/sys" "$init/dev" "$init/data"
  cp "$work/root/bin/busybox" "$init/bin/busybox"
  for tool in sh mount dd sleep cat echo grep sed tr head insmod ip arp sysctl printf; do ln -sf busybox "$init/bin/$tool"; done
  gcc -static -O2 -Wall -o "$init/bin/qscmsg" "$qscmsg_src"
  strip "$init/bin/qscmsg" 2>/dev/null || true

  # virtio networking and the virtio disk: modules in Debian's cloud kernel, and its package has no modules.dep,
  # so the init loads them by name in dependency order; whatever the kernel has built in is left out.
  kver="$(ls "$work/root/lib/modules" | head -1)"
  config="$work/root/boot/config-$kver"
  mkdir -p "$init/lib/modules"
  : > "$init/lib/modules/order"
  for entry in virtio_ring:VIRTIO virtio:VIRTIO virtio_pci_modern_dev:VIRTIO_PCI_LIB \
      virtio_pci_legacy_dev:VIRTIO_PCI_LIB_LEGACY virtio_pci:VIRTIO_PCI failover:FAILOVER \
      net_failover:NET_FAILOVER virtio_net:VIRTIO_NET virtio_blk:VIRTIO_BLK virtio_balloon:VIRTIO_BALLOON; do
    module="${entry%%:*}"; symbol="CONFIG_${entry#*:}"
    setting="$(grep "^$symbol=" "$config" || true)"
    case "$setting" in
      "$symbol=y") ;;
      "$symbol=m")
        ko="$(find "$work/root/lib/modules/$kver" -name "$module.ko*" | head -1)"
        if [ -z "$ko" ]; then log "$kernel_pkg: $symbol=m but no $module.ko"; exit 1; fi
        case "$ko" in
          *.ko.xz) xz -dc "$ko" > "$init/lib/modules/$module.ko" ;;
          *.ko.zst) zstd -qdc "$ko" > "$init/lib/modules/$module.ko" ;;
          *) cp "$ko" "$init/lib/modules/$module.ko" ;;
        esac
        echo "$module" >> "$init/lib/modules/order" ;;
      *) log "$kernel_pkg has no $symbol (needed by the lab guest's NIC and disk)"; exit 1 ;;
    esac
  done
  cat > "$init/init" <<'INIT'
#!/bin/sh
# Lab guest: fill part of RAM with random data, then keep rewriting a "hot" part of it in place and print a
# counter on the serial port. Kernel parameters: vmqsc.fill_mib (cold data), vmqsc.hot_kib (rewritten each
# tick), vmqsc.tick (seconds between ticks).
# With vmqsc.index=<i> the guest is also guest i of a group of vmqsc.group=<n> guests: its NIC (eth0) gets
# 10.77.0.(i+1)/24, every other guest j of the group a permanent neighbour entry (10.77.0.(j+1) at
# 52:54:00:77:00:<j in hex>, so no ARP is ever sent), and qscmsg sends vmqsc.rate=<r> messages a second round
# robin to the others, recording them on the block device vmqsc.disk=<device> if given. With vmqsc.freed_mib=<m>
# it also writes m MiB of random data and deletes them before it says it is ready: memory the guest has freed (its
# balloon driver reports such pages to the host when the domain's balloon has free page reporting on).
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs -o size=100% data /data
fill_mib=48; hot_kib=1024; tick=0.2
index=""; group=2; rate=5; disk=""; freed_mib=""
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    vmqsc.fill_mib=*) fill_mib="${arg#*=}" ;;
    vmqsc.hot_kib=*) hot_kib="${arg#*=}" ;;
    vmqsc.tick=*) tick="${arg#*=}" ;;
    vmqsc.index=*) index="${arg#*=}" ;;
    vmqsc.group=*) group="${arg#*=}" ;;
    vmqsc.rate=*) rate="${arg#*=}" ;;
    vmqsc.disk=*) disk="${arg#*=}" ;;
    vmqsc.freed_mib=*) freed_mib="${arg#*=}" ;;
  esac
done
if [ -n "$index" ] || [ -n "$disk" ] || [ -n "$freed_mib" ]; then
  # No IPv6 before any NIC exists: the guest must send no frame of its own (autoconfiguration, solicitations).
  sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
  for module in $(cat /lib/modules/order); do
    insmod "/lib/modules/$module.ko" || echo "GUEST-ERROR insmod $module" > /dev/ttyS0
  done
fi
if [ -n "$index" ]; then
  n=0; while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
  [ -e /sys/class/net/eth0 ] || echo "GUEST-ERROR no eth0 (vmqsc.index without a NIC?)" > /dev/ttyS0
  ip link set lo up
  ip link set eth0 up
  ip addr add "10.77.0.$((index + 1))/24" dev eth0
  peer=0
  while [ $peer -lt "$group" ]; do
    if [ $peer -ne "$index" ]; then
      # busybox's ip cannot add neighbours; its arp -s adds a PERMANENT one (as ip neigh add ... nud permanent)
      arp -i eth0 -s "10.77.0.$((peer + 1))" "$(printf '52:54:00:77:00:%02x' $peer)"
    fi
    peer=$((peer + 1))
  done
  if [ -n "$disk" ]; then
    n=0; while [ ! -b "$disk" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    [ -b "$disk" ] || echo "GUEST-ERROR no disk $disk" > /dev/ttyS0
  fi
  echo "GUEST-NET index=$index group=$group rate=$rate disk=${disk:--}" > /dev/ttyS0
  # shellcheck disable=SC2086
  qscmsg "$index" "$group" "$rate" $disk > /dev/ttyS0 2>&1 &
fi
dd if=/dev/urandom of=/data/cold bs=1M count="$fill_mib" 2>/dev/null
dd if=/dev/urandom of=/data/hot bs=1K count="$hot_kib" 2>/dev/null
if [ -n "$freed_mib" ]; then
  dd if=/dev/urandom of=/data/freed bs=1M count="$freed_mib" 2>/dev/null
  rm /data/freed
  echo "GUEST-FREED $freed_mib" > /dev/ttyS0
fi
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
  # What this initramfs can do; written after it, so an initramfs built since by an older script shows as such.
  echo "qscmsg" > "$guest_dir/features.tmp" && mv "$guest_dir/features.tmp" "$guest_dir/features"
  rm -rf "$work"
  log "guest built in $guest_dir"
fi

# --- daemons ---------------------------------------------------------------------------------------
# userfaultfd write-protect for QEMU, which runs as the unprivileged libvirt-qemu user.
sysctl -q -w vm.unprivileged_userfaultfd=1 || log "could not set vm.unprivileged_userfaultfd=1 (background-snapshot will fall back to pre-copy)"

# Guest RAM on 2 MiB huge pages: before each background snapshot QEMU reads one byte of every page of the guest's
# RAM (so userfaultfd can write-protect it); on 4 KiB pages that is 32,768 touches per 128 MiB, which under a
# hypervisor that shadows page tables costs ~200 ms with the guest stopped, and 64 on huge pages. Lab guests use
# them when enough are free (agent-ext/README.md, "The guest's pause"). A pool of 1 GiB where the machine has 8 GiB.
hugepages_mounted=no
if ! grep -qs " hugetlbfs " /proc/mounts; then
  mkdir -p /dev/hugepages
  if mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null; then hugepages_mounted=yes; else
    log "could not mount hugetlbfs: lab guests run on 4 KiB pages"; fi
fi
mem_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
if [ "${mem_kib:-0}" -ge $((8 * 1024 * 1024)) ] && [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 512 ]; then
  echo 512 > /proc/sys/vm/nr_hugepages 2>/dev/null || true
  log "huge pages for lab guests: $(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo) of 2 MiB free"
fi

answers() { virsh -c qemu:///system version >/dev/null 2>&1; }
# A daemon that is still shutting down looks alive to pgrep but will never answer: wait for it to go.
wait_gone() { for _ in $(seq 1 30); do pgrep -x "$1" >/dev/null || return 0; sleep 0.5; done; return 1; }

if ! pgrep -x virtlogd >/dev/null; then /usr/sbin/virtlogd -d; fi
if [ "$hugepages_mounted" = yes ] && answers; then
  # libvirtd finds hugetlbfs mounts when it starts: one started before the mount is started again.
  log "restarting libvirtd, which started before hugetlbfs was mounted"
  pkill -x libvirtd || true
  wait_gone libvirtd || { log "libvirtd does not stop"; exit 1; }
fi
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
