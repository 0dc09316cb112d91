#!/bin/sh
# vmqsc-relay-port.sh: the relay's port on the relay network's bridge (xapiN) in a Xen host's dom0, for a relay that
# runs in the CloudStack management server (vmqsc's VxlanEndpoint).
#
# The bridge gets one VXLAN port whose remote is the management server's relay endpoint. That port is the only one
# not isolated; every other port (the guests' VIFs) is isolated with learning off, so a guest's frame reaches no other
# guest directly and, since no guest MAC is ever learnt, is flooded to the VXLAN port: every frame between guests
# goes through the relay. The VXLAN port learns nothing either: the frames the relay sends carry other guests' MACs.
#
# Usage (as root in dom0; every form is safe to run again):
#   vmqsc-relay-port.sh --bridge BRIDGE --remote ADDRESS --vni VNI [--port PORT] [--local ADDRESS]
#       makes the VXLAN port (again, if its settings changed), isolates the bridge's other ports, remembers the
#       settings and installs XAPI's VIF hotplug hook, then checks as --check does (its exit status)
#   vmqsc-relay-port.sh --check [--bridge BRIDGE]
#       says what is wrong with the relay port of BRIDGE (of every bridge set up here without --bridge); exit 0 when
#       nothing is, 1 when something is
#   vmqsc-relay-port.sh --remove --bridge BRIDGE
#       removes the VXLAN port and forgets the bridge (its ports stay isolated: the guests reach nobody); the hook
#       goes with the last bridge
#   vmqsc-relay-port.sh --hotplug -action ACTION -vifuuid UUID -vmuuid UUID
#       what the hook runs when XAPI plugs a VIF: isolates every port but the VXLAN port of every bridge set up here
#
# PORT is the UDP port of the relay endpoint and of this end (the IANA VXLAN port 4789 unless given); ADDRESS the
# management server's address the endpoint listens on; VNI the endpoint's (0 to 16777215). Exit status 2: refused,
# with the reason on stderr.
#
# Why a XAPI hotplug hook and not a udev rule: the kernel sends no uevent when a device joins a bridge, and the
# udev events of a new VIF come before XAPI's vif script adds it to its bridge, so a udev rule would find nothing to
# isolate yet. XAPI's vif script calls /etc/xapi.d/vif-hotplug right after it has added the VIF to its bridge.
# Limits: that is just after XAPI reports the VIF connected, so a frame the guest sends in that moment can pass the
# relay; XAPI does not call the hook for the emulated NICs (tapD.N) of HVM guests without PV drivers (run this
# script or --check again after such a guest starts); the link to the management server is IPv4.
#
# Paths, for tests and unusual layouts: VMQSC_RELAY_STATE_DIR (the settings, /etc/vmqsc/relay-port),
# VMQSC_VIF_HOOK (/etc/xapi.d/vif-hotplug), VMQSC_XEN_NETWORK_CONF (XAPI's backend, /etc/xensource/network.conf).

set -u

STATE_DIR=${VMQSC_RELAY_STATE_DIR:-/etc/vmqsc/relay-port}
HOOK=${VMQSC_VIF_HOOK:-/etc/xapi.d/vif-hotplug}
XEN_NETWORK_CONF=${VMQSC_XEN_NETWORK_CONF:-/etc/xensource/network.conf}
SYS_NET=/sys/class/net
# Outer Ethernet, IPv4 and UDP headers and the VXLAN header around each frame.
VXLAN_OVERHEAD=50
HOOK_MARK='# vmqsc-relay-port hook'
ME=vmqsc-relay-port

die() {
  echo "$ME: $*" >&2
  exit 2
}

say() {
  echo "$ME: $*" >&2
  if [ -n "${IN_HOOK:-}" ] && command -v logger >/dev/null 2>&1; then logger -t "$ME" "$*"; fi
}

is_number() {
  case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac
}

# Safe in a file name and in the hook's single quotes.
is_plain() {
  case $1 in '' | *[!A-Za-z0-9_.:-]*) return 1 ;; *) return 0 ;; esac
}

# A decimal number without leading zeros (the shell's arithmetic would read 010 as octal).
decimal() {
  echo "$1" | sed 's/^0*\([0-9]\)/\1/'
}

vxlan_name() {
  echo "vmqscvx$1"
}

# ---- the bridge -----------------------------------------------------------------------------------------------

# Refuses what cannot carry the relay port: Open vSwitch, a missing device, a device that is not a Linux bridge.
require_linux_bridge() {
  if [ -r "$XEN_NETWORK_CONF" ] && grep -qi 'switch' "$XEN_NETWORK_CONF"; then
    die "this host's network backend is Open vSwitch ($XEN_NETWORK_CONF says $(cat "$XEN_NETWORK_CONF")); the" \
      "relay port needs the Linux bridge backend: xe-switch-network-backend bridge, then reboot the host"
  fi
  [ -d "$SYS_NET/$1" ] || die "no network device $1 here (XAPI makes a host-internal network's bridge when a VIF" \
    "on it is plugged on this host, or on xe network-attach)"
  if [ ! -d "$SYS_NET/$1/bridge" ]; then
    if ip -d link show dev "$1" 2>/dev/null | grep -qw openvswitch; then
      die "$1 is an Open vSwitch bridge; the relay port needs the Linux bridge backend:" \
        "xe-switch-network-backend bridge, then reboot the host"
    fi
    die "$1 is not a Linux bridge"
  fi
}

# Prints the bridge's ports but the VXLAN port $2, one a line.
guest_ports() {
  for brif_entry in "$SYS_NET/$1/brif"/*; do
    [ -e "$brif_entry" ] || continue
    [ "${brif_entry##*/}" = "$2" ] || echo "${brif_entry##*/}"
  done
}

# Isolates every port of bridge $1 but the VXLAN port $2, learning off, where it is not so yet (and forgets what such
# a port learnt); says which it changed. A port that leaves meanwhile is skipped.
isolate_ports() {
  for name in $(guest_ports "$1" "$2"); do
    dir=$SYS_NET/$1/brif/$name
    [ "$(cat "$dir/isolated" 2>/dev/null)" = 1 ] && [ "$(cat "$dir/learning" 2>/dev/null)" = 0 ] && continue
    if echo 1 > "$dir/isolated" 2>/dev/null && echo 0 > "$dir/learning" 2>/dev/null; then
      echo 1 > "$dir/flush" 2>/dev/null
      say "isolated port $name of $1, learning off"
    elif [ -e "$dir" ]; then
      say "could not isolate port $name of $1"
    fi
  done
}

disable_ipv6() {
  f=/proc/sys/net/ipv6/conf/$1/disable_ipv6
  [ ! -e "$f" ] || echo 1 > "$f"
}

# ---- the VXLAN device -----------------------------------------------------------------------------------------

# The value after the word $2 on the vxlan line of `ip -d link show dev $1`.
vxlan_field() {
  ip -d link show dev "$1" 2>/dev/null | awk -v key="$2" '
    $1 == "vxlan" { for (i = 2; i < NF; i++) if ($i == key) { print $(i + 1); exit } }'
}

# The device and source address the kernel uses towards $1: "DEVICE SOURCE".
route_to() {
  ip route get "$1" 2>/dev/null | awk '
    { for (i = 1; i < NF; i++) { if ($i == "dev") dev = $(i + 1); if ($i == "src") src = $(i + 1) } }
    END { if (dev != "") print dev, src }'
}

# Makes the VXLAN port $1 unless it exists with these settings: VNI $2, remote $3, local $4, port $5.
make_vxlan() {
  if [ -d "$SYS_NET/$1" ]; then
    if [ "$(vxlan_field "$1" id)" = "$2" ] && [ "$(vxlan_field "$1" remote)" = "$3" ] \
      && [ "$(vxlan_field "$1" local)" = "$4" ] && [ "$(vxlan_field "$1" dstport)" = "$5" ]; then
      return 0
    fi
    [ -n "$(vxlan_field "$1" id)" ] || die "$1 exists and is not a VXLAN device; remove it or choose another VNI"
    say "$1 had other settings; making it again"
    ip link del dev "$1" || die "could not remove $1"
  fi
  # One source port for every frame: a network that keeps one UDP flow in order keeps this dom0's frames in order.
  high=$(($5 + 1))
  low=$5
  if [ "$high" -gt 65535 ]; then high=65535 low=65534; fi
  ip link add "$1" type vxlan id "$2" remote "$3" local "$4" dstport "$5" srcport "$low" "$high" nolearning \
    || die "could not make the VXLAN device $1"
}

# ---- setting up -----------------------------------------------------------------------------------------------

set_up() {
  bridge=$1 remote=$2 vni=$3 udp_port=$4 local_addr=$5
  is_plain "$bridge" || die "not a device name: $bridge"
  is_number "$vni" && vni=$(decimal "$vni") && [ "$vni" -le 16777215 ] \
    || die "a VNI is a number from 0 to 16777215: $vni"
  is_number "$udp_port" && udp_port=$(decimal "$udp_port") && [ "$udp_port" -ge 1 ] && [ "$udp_port" -le 65535 ] \
    || die "not a UDP port: $udp_port"
  is_plain "$remote" || die "not an address: $remote"
  case $remote in
    *:*) die "the management server's address is IPv4 here (VXLAN over IPv6 takes 70 bytes): $remote" ;;
  esac
  require_linux_bridge "$bridge"
  require_hook_slot
  route=$(route_to "$remote")
  [ -n "$route" ] || die "no route to the management server's address $remote"
  underlay=${route%% *}
  [ -n "$local_addr" ] || local_addr=${route#* }
  is_plain "$local_addr" || die "no source address towards $remote; give --local"
  vx=$(vxlan_name "$vni")

  make_vxlan "$vx" "$vni" "$remote" "$local_addr" "$udp_port"
  # The VXLAN port carries frames of the relay network's MTU inside datagrams of the underlay's.
  mtu=$(($(cat "$SYS_NET/$underlay/mtu") - VXLAN_OVERHEAD))
  ip link set dev "$vx" mtu "$mtu" || die "could not set $vx's MTU to $mtu"
  disable_ipv6 "$vx"
  ip link set dev "$vx" master "$bridge" || die "could not make $vx a port of $bridge"
  [ -e "$SYS_NET/$vx/brport/isolated" ] || die "$bridge has no isolated ports (a kernel older than 4.18): guests'" \
    "frames could pass between them without the relay"
  echo 0 > "$SYS_NET/$vx/brport/learning"
  echo 0 > "$SYS_NET/$vx/brport/isolated"
  ip link set dev "$vx" up || die "could not bring $vx up"
  # dom0 itself sends nothing onto the bridge: isolation does not hold for what the bridge's own device sends.
  disable_ipv6 "$bridge"
  isolate_ports "$bridge" "$vx"

  mkdir -p "$STATE_DIR" || die "could not make $STATE_DIR"
  cat > "$STATE_DIR/$bridge.conf" <<EOF
BRIDGE=$bridge
VXLAN=$vx
REMOTE=$remote
LOCAL=$local_addr
PORT=$udp_port
VNI=$vni
EOF
  install_hook
  say "$bridge: VXLAN port $vx to $remote:$udp_port (VNI $vni, from $local_addr, MTU $mtu)"
  check_bridge "$bridge"
}

# Refuses, before anything changes, when the hook's place holds someone else's hook or the hook could not name us.
require_hook_slot() {
  case $0 in /*) script=$0 ;; *) script=$(pwd)/$0 ;; esac
  for path in "$script" "$STATE_DIR"; do
    case $path in *\'*) die "a path with a quote cannot go into the hook: $path" ;; esac
  done
  if [ -e "$HOOK" ] && ! grep -q "^$HOOK_MARK" "$HOOK"; then
    die "$HOOK exists and is not vmqsc's: XAPI calls one VIF hotplug hook; add this line to it:" \
      "VMQSC_RELAY_STATE_DIR='$STATE_DIR' '$script' --hotplug \"\$@\""
  fi
}

install_hook() {
  require_hook_slot
  mkdir -p "$(dirname "$HOOK")" || die "could not make the directory of $HOOK"
  cat > "$HOOK.new" <<EOF
#!/bin/sh
$HOOK_MARK: XAPI's vif script runs this after it added a VIF to its bridge.
VMQSC_RELAY_STATE_DIR='$STATE_DIR' exec '$script' --hotplug "\$@"
EOF
  chmod 755 "$HOOK.new" && mv "$HOOK.new" "$HOOK" || die "could not install $HOOK"
}

# ---- checking ---------------------------------------------------------------------------------------------------

problem() {
  echo "PROBLEM: $*"
  problems=$((problems + 1))
}

# Prints what is wrong with the relay port of bridge $1 (from its remembered settings); counts it in $problems.
check_bridge() {
  problems=0 vx_mtu=''
  conf=$STATE_DIR/$1.conf
  if [ ! -r "$conf" ]; then
    problem "$1: no relay port set up here ($conf missing)"
    return 1
  fi
  BRIDGE='' VXLAN='' REMOTE='' PORT='' VNI=''
  . "$conf"
  if [ -r "$XEN_NETWORK_CONF" ] && grep -qi 'switch' "$XEN_NETWORK_CONF"; then
    problem "the network backend is Open vSwitch ($XEN_NETWORK_CONF): xe-switch-network-backend bridge"
  fi
  if [ ! -d "$SYS_NET/$BRIDGE/bridge" ]; then
    problem "$BRIDGE is not a Linux bridge here (gone, or not plugged on this host yet)"
    return 1
  fi
  if [ ! -d "$SYS_NET/$VXLAN" ]; then
    problem "$BRIDGE: the VXLAN port $VXLAN is missing (run the set-up again)"
  else
    [ "$(vxlan_field "$VXLAN" id)" = "$VNI" ] || problem "$VXLAN: VNI $(vxlan_field "$VXLAN" id), not $VNI"
    [ "$(vxlan_field "$VXLAN" remote)" = "$REMOTE" ] \
      || problem "$VXLAN: remote $(vxlan_field "$VXLAN" remote), not $REMOTE"
    [ "$(vxlan_field "$VXLAN" dstport)" = "$PORT" ] \
      || problem "$VXLAN: port $(vxlan_field "$VXLAN" dstport), not $PORT"
    master=$(readlink "$SYS_NET/$VXLAN/master" 2>/dev/null)
    [ "${master##*/}" = "$BRIDGE" ] || problem "$VXLAN is not a port of $BRIDGE"
    [ "$(cat "$SYS_NET/$VXLAN/operstate" 2>/dev/null)" != down ] || problem "$VXLAN is down"
    [ "$(cat "$SYS_NET/$VXLAN/brport/isolated" 2>/dev/null)" = 0 ] \
      || problem "$VXLAN is isolated: no guest frame reaches the relay"
    [ "$(cat "$SYS_NET/$VXLAN/brport/learning" 2>/dev/null)" = 0 ] \
      || problem "$VXLAN learns: the relay's frames would teach the bridge guests' MACs on it"
    vx_mtu=$(cat "$SYS_NET/$VXLAN/mtu")
    route=$(route_to "$REMOTE")
    if [ -z "$route" ]; then
      problem "no route to the management server's address $REMOTE"
    elif [ $((vx_mtu + VXLAN_OVERHEAD)) -gt "$(cat "$SYS_NET/${route%% *}/mtu")" ]; then
      problem "$VXLAN's MTU $vx_mtu leaves no room for VXLAN's $VXLAN_OVERHEAD bytes on ${route%% *}"
    fi
  fi
  for name in $(guest_ports "$BRIDGE" "$VXLAN"); do
    dir=$SYS_NET/$BRIDGE/brif/$name
    [ "$(cat "$dir/isolated" 2>/dev/null)" = 1 ] || problem "port $name of $BRIDGE is not isolated:" \
      "its guest can reach other guests past the relay"
    [ "$(cat "$dir/learning" 2>/dev/null)" = 0 ] || problem "port $name of $BRIDGE learns: unicast between" \
      "guests can be dropped instead of reaching the relay"
    mtu=$(cat "$SYS_NET/$name/mtu" 2>/dev/null)
    if [ -n "$vx_mtu" ] && [ -n "$mtu" ] && [ "$mtu" -gt "$vx_mtu" ]; then
      problem "port $name of $BRIDGE has MTU $mtu, more than the VXLAN port's $vx_mtu: the bridge drops longer" \
        "frames; give the relay network and the guests MTU $vx_mtu"
    fi
  done
  if [ -n "$(ip -4 addr show dev "$BRIDGE" 2>/dev/null)" ]; then
    problem "$BRIDGE has an IPv4 address: what dom0 sends out of the bridge itself is not isolated"
  fi
  v6=/proc/sys/net/ipv6/conf/$BRIDGE/disable_ipv6
  [ ! -e "$v6" ] || [ "$(cat "$v6")" = 1 ] || problem "$BRIDGE has IPv6 on: dom0 would send onto the bridge"
  if [ ! -x "$HOOK" ] || ! grep -q "^$HOOK_MARK" "$HOOK"; then
    problem "the VIF hotplug hook $HOOK is not installed: VIFs plugged from now on are not isolated"
  fi
  [ "$problems" -eq 0 ] && echo "OK: $BRIDGE: VXLAN port $VXLAN to $REMOTE:$PORT, VNI $VNI," \
    "$(guest_ports "$BRIDGE" "$VXLAN" | wc -l | tr -d ' ') guest port(s) isolated"
  [ "$problems" -eq 0 ]
}

check_all() {
  found=0 failed=0
  for conf in "$STATE_DIR"/*.conf; do
    [ -e "$conf" ] || continue
    found=1
    name=${conf##*/}
    check_bridge "${name%.conf}" || failed=1
  done
  if [ "$found" = 0 ]; then
    echo "PROBLEM: no relay port set up here ($STATE_DIR holds no settings)"
    return 1
  fi
  return "$failed"
}

# ---- the hook and removal -------------------------------------------------------------------------------------

hotplug() {
  IN_HOOK=1
  for conf in "$STATE_DIR"/*.conf; do
    [ -e "$conf" ] || continue
    BRIDGE='' VXLAN=''
    . "$conf"
    [ -d "$SYS_NET/$BRIDGE/bridge" ] && isolate_ports "$BRIDGE" "$VXLAN"
  done
  return 0
}

remove() {
  conf=$STATE_DIR/$1.conf
  if [ -r "$conf" ]; then
    VXLAN=''
    . "$conf"
    [ ! -d "$SYS_NET/$VXLAN" ] || ip link del dev "$VXLAN" || die "could not remove $VXLAN"
    rm -f "$conf"
    say "$1: VXLAN port $VXLAN removed"
  fi
  if ! ls "$STATE_DIR"/*.conf >/dev/null 2>&1 && [ -e "$HOOK" ] && grep -q "^$HOOK_MARK" "$HOOK"; then
    rm -f "$HOOK"
  fi
  return 0
}

# ---- arguments --------------------------------------------------------------------------------------------------

mode=setup bridge='' remote='' vni='' udp_port=4789 local_addr=''
case ${1:-} in
  --hotplug) hotplug; exit 0 ;;
  -action) hotplug; exit 0 ;; # the script itself installed as the hook
esac
while [ $# -gt 0 ]; do
  case $1 in
    --check) mode=check ;;
    --remove) mode=remove ;;
    --bridge | --remote | --vni | --port | --local)
      [ $# -ge 2 ] || die "$1 needs a value"
      case $1 in
        --bridge) bridge=$2 ;; --remote) remote=$2 ;; --vni) vni=$2 ;; --port) udp_port=$2 ;;
        --local) local_addr=$2 ;;
      esac
      shift
      ;;
    -h | --help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done

case $mode in
  check)
    if [ -n "$bridge" ]; then check_bridge "$bridge"; else check_all; fi
    ;;
  remove)
    [ -n "$bridge" ] || die "--remove needs --bridge"
    is_plain "$bridge" || die "not a device name: $bridge"
    remove "$bridge"
    ;;
  setup)
    [ -n "$bridge" ] && [ -n "$remote" ] && [ -n "$vni" ] || die "give --bridge, --remote and --vni (see --help)"
    set_up "$bridge" "$remote" "$vni" "$udp_port" "$local_addr"
    ;;
esac
