#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# run-in-vm.sh DIR -- CMD [ARGS...]
#
# udpvpn's copy of the recipe in ../shared/ppp-vm (README there: findings, timings, pitfalls),
# adapted for the test suite: it never installs host packages (scripts/install-deps.sh does), and
# exits 77 ("skipped") when this host cannot run it (not root, no qemu, no kernel package).
#
# Boot a throw-away QEMU VM running Debian's own linux-image-*-amd64 kernel
# (which has PPP, tun, veth, netns, wireguard, ... as modules), with the host's
# root filesystem as a read-only 9p lower layer under a tmpfs overlay (so every
# host binary and shared library -- pppd, ip, ping, libssl, libsodium,
# libstdc++, ... -- is available unchanged), DIR shared read-write at the same
# path, and run CMD inside DIR as root.  CMD's stdout/stderr are streamed to
# ours; the script exits with CMD's exit status.
#
# Exit status: CMD's status, or
#   77   cannot run here (not root, host packages missing, kernel not obtainable): skip
#   124  the VM ran longer than PPP_VM_TIMEOUT seconds (killed)
#   125  the VM failed before CMD could report a status (see console log)
#   2    usage error
#
# Environment knobs (all optional):
#   PPP_VM_CACHE=/var/tmp/ppp-vm  cache folder (kernel, initramfs, run dirs)
#   PPP_VM_TIMEOUT=900            seconds before the VM is killed
#   PPP_VM_MEM=1024               guest RAM in MiB
#   PPP_VM_SMP=1                  guest vCPUs (2 makes TCG boots ~2x slower on 2 cores)
#   PPP_VM_ACCEL=auto|kvm|tcg     auto = kvm only if the CPU shows vmx/svm and
#                                 /dev/kvm is usable, else TCG (emulation)
#   PPP_VM_CPU=max,avx=off,...    -cpu model for TCG (kvm always uses host)
#   PPP_VM_APPEND="..."           extra guest kernel command line
#   PPP_VM_ACPI=1                 keep ACPI even with one vCPU (slower boot)
#   PPP_VM_ENV="A=1 B=2"          extra environment for CMD (word-split)
#   PPP_VM_VERBOSE=1              print the guest kernel console log to stderr
#   PPP_VM_KEEP=1                 keep the per-run folder (console log etc.)
#   PPP_VM_KERNEL_PKG=linux-image-6.1.0-NN-amd64   pin the kernel package
# Inside the guest PPP_VM=1 is set.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

CACHE=${PPP_VM_CACHE:-/var/tmp/ppp-vm}
TIMEOUT=${PPP_VM_TIMEOUT:-900}
MEM=${PPP_VM_MEM:-1024}
SMP=${PPP_VM_SMP:-1}
ACCEL=${PPP_VM_ACCEL:-auto}
# TCG CPU model: "max" (gives an invariant TSC, RDRAND, AES-NI, SSE4.2) minus
# the AVX family, whose emulation is slow (ChaCha20-Poly1305 3x slower).
TCG_CPU=${PPP_VM_CPU:-max,avx=off,avx2=off,fma=off,f16c=off,vaes=off,vpclmulqdq=off}
INITRD_FORMAT=5   # bump when the initramfs recipe below changes

die() { echo "run-in-vm: $*" >&2; exit 125; }
skip() { echo "run-in-vm: SKIP: $*" >&2; exit 77; }
log() { [ -n "${PPP_VM_VERBOSE:-}" ] && echo "run-in-vm: $*" >&2 || true; }

usage() { echo "usage: $0 DIR -- CMD [ARGS...]" >&2; exit 2; }
[ $# -ge 3 ] || usage
DIR_ARG=$1; shift
[ "$1" = "--" ] || usage
shift
[ -d "$DIR_ARG" ] || { echo "run-in-vm: DIR '$DIR_ARG' is not a directory" >&2; exit 2; }
DIR=$(realpath -e "$DIR_ARG")
case "$DIR" in
  /) echo "run-in-vm: DIR must not be /" >&2; exit 2 ;;
  *,*|*$'\n'*) echo "run-in-vm: DIR must not contain commas or newlines: $DIR" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || skip "must run as root (9p passthrough of / and the VM's root overlay)"

# ---------------------------------------------------------------- host deps
ensure_pkgs() {
  local missing=() p
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  # a *static* busybox is needed (it is copied into the initramfs)
  if [ ! -x /usr/bin/busybox ] || ldd /usr/bin/busybox >/dev/null 2>&1; then missing+=(busybox-static); fi
  command -v pppd >/dev/null || [ -x /usr/sbin/pppd ] || missing+=(ppp)
  command -v xz >/dev/null || missing+=(xz-utils)
  command -v depmod >/dev/null || [ -x /usr/sbin/depmod ] || [ -x /sbin/depmod ] || missing+=(kmod)
  command -v ip >/dev/null || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing+=(iproute2)
  command -v dpkg-deb >/dev/null || skip "dpkg-deb missing: this script is for Debian hosts"
  [ ${#missing[@]} -eq 0 ] || skip "missing host packages: ${missing[*]} (run scripts/install-deps.sh)"
}

# ------------------------------------------------------------------- kernel
# Debian's linux-image-*-amd64 .deb, extracted (not installed) under $CACHE.
kernel_pkg_name() {
  if [ -n "${PPP_VM_KERNEL_PKG:-}" ]; then echo "$PPP_VM_KERNEL_PKG"; return; fi
  local n
  n=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1)
  if [ -z "$n" ]; then
    apt-get update >&2 || true
    n=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1)
  fi
  [ -n "$n" ] || skip "cannot resolve linux-image-amd64 to a kernel package (apt-get update?)"
  echo "$n"
}

prepare_kernel() {
  # Reuse any prepared kernel unless a specific package is pinned.
  if [ -z "${PPP_VM_KERNEL_PKG:-}" ] && [ -e "$CACHE/kernel/ready" ]; then return; fi
  if [ -n "${PPP_VM_KERNEL_PKG:-}" ] && [ -e "$CACHE/kernel/ready" ] \
     && [ "$(cat "$CACHE/kernel/pkg")" = "$PPP_VM_KERNEL_PKG" ]; then return; fi
  local pkg tmp deb kver bz off
  pkg=$(kernel_pkg_name)
  echo "run-in-vm: preparing kernel $pkg under $CACHE (one-time)" >&2
  mkdir -p "$CACHE/dl"
  deb=$(ls -t "$CACHE/dl/${pkg}_"*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    (cd "$CACHE/dl" && apt-get -o APT::Sandbox::User=root download "$pkg" >&2) \
      || { apt-get update >&2 && (cd "$CACHE/dl" && apt-get -o APT::Sandbox::User=root download "$pkg" >&2); } \
      || skip "apt-get download $pkg failed (no network?)"
    deb=$(ls -t "$CACHE/dl/${pkg}_"*.deb | head -1)
  fi
  tmp=$(mktemp -d "$CACHE/kernel.tmp.XXXXXX")
  dpkg-deb -x "$deb" "$tmp/x"
  kver=$(ls "$tmp/x/lib/modules" | head -1)
  [ -n "$kver" ] && [ -f "$tmp/x/boot/vmlinuz-$kver" ] || die "unexpected layout in $deb"
  depmod -b "$tmp/x" "$kver"
  mkdir -p "$tmp/k/lib"
  mv "$tmp/x/lib/modules" "$tmp/k/lib/modules"
  mv "$tmp/x/boot/vmlinuz-$kver" "$tmp/k/vmlinuz"
  mv "$tmp/x/boot/config-$kver" "$tmp/k/config"
  # Uncompressed ELF vmlinux (has a PVH entry note): QEMU boots it directly,
  # skipping the in-guest xz decompression, which costs seconds under TCG.
  bz="$tmp/k/vmlinuz"
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | head -1 | cut -d: -f1 || true)
  if [ -n "$off" ]; then
    # (tail gets SIGPIPE when xz stops after the first stream: not an error)
    { tail -c +$((off + 1)) "$bz" || true; } | xz -dc --single-stream > "$tmp/k/vmlinux" 2>/dev/null || true
  fi
  if [ "$(head -c 4 "$tmp/k/vmlinux" 2>/dev/null | od -An -tx1 | tr -d ' ')" != 7f454c46 ]; then
    rm -f "$tmp/k/vmlinux"   # fall back to booting the bzImage
  fi
  echo "$kver" > "$tmp/k/kver"
  echo "$pkg" > "$tmp/k/pkg"
  dpkg-deb -f "$deb" Version > "$tmp/k/version"
  touch "$tmp/k/ready"
  rm -rf "$CACHE/kernel.old"
  [ -e "$CACHE/kernel" ] && mv "$CACHE/kernel" "$CACHE/kernel.old"
  mv "$tmp/k" "$CACHE/kernel"
  rm -rf "$tmp" "$CACHE/kernel.old" "$CACHE"/initrd-*.cpio.gz
}

# ---------------------------------------------------------------- initramfs
# Tiny: static busybox, the modules needed to reach the host root over 9p and
# build the overlay, and /init.  Everything else comes from the host's /.
INIT_MODULES="virtio_pci 9pnet_virtio 9p overlay virtio_rng"

write_init() {
cat <<'EOF'
#!/bin/busybox sh
# ppp-vm stage 1: mount host / (9p, ro) under a tmpfs overlay, switch_root.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "ppp-vm init: FAILED: $*" > /dev/console; dmesg | tail -20 > /dev/console; reboot -f; sleep 5; echo b > /proc/sysrq-trigger; }
echo "ppp-vm init: start $(cat /proc/uptime)"
while read -r m; do insmod "/mods/$m" || fail "insmod $m"; done < /mods/order
echo "ppp-vm init: modules loaded $(cat /proc/uptime)"
o9p=trans=virtio,version=9p2000.L,msize=262144
mkdir -p /ctl /lower /upper /newroot
mount -t 9p -o $o9p,cache=none vmctl /ctl || fail "mount vmctl"
mount -t 9p -o $o9p,ro,cache=loose hostroot /lower || fail "mount hostroot"
mount -t tmpfs -o mode=0755 upper /upper
mkdir -p /upper/u /upper/w
mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w rootfs /newroot || fail "mount overlay"
mount -t tmpfs -o mode=0755,nosuid,nodev run /newroot/run || fail "mount /run"
mkdir -p /newroot/run/vmctl
mount --move /ctl /newroot/run/vmctl
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
[ -f /newroot/run/vmctl/stage2.sh ] || fail "no stage2.sh"
echo "ppp-vm init: switch_root $(cat /newroot/proc/uptime)"
exec switch_root /newroot /run/vmctl/busybox sh /run/vmctl/stage2.sh
EOF
}

prepare_initrd() {
  local kver="$1" mods="$CACHE/kernel/lib/modules/$1" key tmp f
  key=$( { echo "$INITRD_FORMAT $INIT_MODULES"; write_init; sha256sum /usr/bin/busybox; cat "$CACHE/kernel/version"; } | sha256sum | cut -c1-16)
  INITRD="$CACHE/initrd-$key.cpio.gz"
  [ -f "$INITRD" ] && return
  log "building $INITRD"
  tmp=$(mktemp -d "$CACHE/initrd.tmp.XXXXXX")
  mkdir -p "$tmp/r/bin" "$tmp/r/mods" "$tmp/r/dev" "$tmp/r/proc" "$tmp/r/sys"
  cp /usr/bin/busybox "$tmp/r/bin/busybox"
  # shellcheck disable=SC2086
  modprobe -d "$CACHE/kernel" -S "$kver" --show-depends -a $INIT_MODULES \
    | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' > "$tmp/list"
  [ -s "$tmp/list" ] || die "modprobe --show-depends found nothing in $mods"
  while read -r f; do
    case "$f" in
      *.ko) cp "$f" "$tmp/r/mods/" ;;
      *.ko.xz) xz -dc "$f" > "$tmp/r/mods/$(basename "$f" .xz)" ;;
      *.ko.zst) zstd -qdc "$f" > "$tmp/r/mods/$(basename "$f" .zst)" ;;
      *) die "unknown module format $f" ;;
    esac
    basename "$f" | sed 's/\.\(xz\|zst\)$//' >> "$tmp/r/mods/order"
  done < "$tmp/list"
  write_init > "$tmp/r/init"
  chmod 755 "$tmp/r/init"
  (cd "$tmp/r" && find . | LC_ALL=C sort | /usr/bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$tmp/initrd.gz"
  find "$CACHE" -maxdepth 1 -name 'initrd-*.cpio.gz' -delete   # stale recipes
  mv "$tmp/initrd.gz" "$INITRD"
  rm -rf "$tmp"
}

# ------------------------------------------------------------ per-run files
write_stage2() {
cat <<'EOF'
#!/run/vmctl/busybox sh
# ppp-vm stage 2 (PID 1 on the host's userland): finish the mounts, run CMD.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
C=/run/vmctl
BB=$C/busybox
. $C/vm.conf
# reboot (not poweroff): with -no-reboot QEMU exits on a reset, and a reset
# works with or without ACPI
finish() { echo "$1" > $C/rc; sync; $BB reboot -f; sleep 5; echo b > /proc/sysrq-trigger; }
{
echo "stage2 start: uptime $(cat /proc/uptime)"
set -x
mkdir -p /dev/pts /dev/shm /run/lock /run/netns /tmp /var/tmp /root
mount -t devpts -o ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
ln -sfn /proc/self/fd /dev/fd; ln -sfn fd/0 /dev/stdin; ln -sfn fd/1 /dev/stdout; ln -sfn fd/2 /dev/stderr
mount -t tmpfs -o mode=1777,nosuid,nodev tmp /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null || true
# the VM kernel's modules (bind-mounted from the host-side cache) so that
# modprobe and kernel module auto-loading work
mkdir -p "/lib/modules/$VM_KVER"
mount --bind "$VM_MODDIR" "/lib/modules/$VM_KVER"
echo /sbin/modprobe > /proc/sys/kernel/modprobe
mkdir -p "$VM_DIR"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=mmap hostdir "$VM_DIR" \
  && touch $C/dir_mounted
hostname ppp-vm
ip link set lo up
# a syslog for daemons that log there (pppd without logfd/nodetach does)
mkdir -p /var/log; $BB syslogd -O /var/log/syslog
# /dev/ppp and /dev/net/tun only appear once their modules are loaded (no udev)
modprobe -a ppp_generic ppp_async ppp_synctty tun veth
set +x
echo "stage2 done: uptime $(cat /proc/uptime)"
} > $C/stage2.log 2>&1 || true
[ -e $C/dir_mounted ] || { echo "ppp-vm: could not mount $VM_DIR in the guest" >> $C/stderr; finish 125; }
[ -c /dev/ppp ] || echo "ppp-vm: warning: /dev/ppp missing, see stage2.log" >> $C/stderr
cd "$VM_DIR" || finish 125
env -i PPP_VM=1 PATH="$PATH" HOME=/root TERM=dumb LANG=C.UTF-8 USER=root LOGNAME=root $VM_ENV \
  /bin/bash $C/cmd.sh < /dev/null >> $C/stdout 2>> $C/stderr
rc=$?
echo "cmd done: uptime $(cat /proc/uptime)" >> $C/stage2.log
finish $rc
EOF
}

# --------------------------------------------------------------------- main
ensure_pkgs
mkdir -p "$CACHE/runs"
exec 9>"$CACHE/.lock"
flock 9
prepare_kernel
KVER=$(cat "$CACHE/kernel/kver")
prepare_initrd "$KVER"
cmp -s /usr/bin/busybox "$CACHE/busybox" || { cp /usr/bin/busybox "$CACHE/busybox.tmp" && mv "$CACHE/busybox.tmp" "$CACHE/busybox"; }
flock -u 9
exec 9>&-

RUN=$(mktemp -d "$CACHE/runs/run.XXXXXX")
QPID=""; TAILS=""
cleanup() {
  local p
  [ -n "$QPID" ] && kill "$QPID" 2>/dev/null || true
  for p in $TAILS; do kill "$p" 2>/dev/null || true; done
  if [ -n "${PPP_VM_KEEP:-}" ]; then echo "run-in-vm: kept $RUN" >&2; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ln "$CACHE/busybox" "$RUN/busybox" 2>/dev/null || cp "$CACHE/busybox" "$RUN/busybox"
write_stage2 > "$RUN/stage2.sh"
chmod 755 "$RUN/stage2.sh"
{
  printf 'VM_DIR=%q\n' "$DIR"
  printf 'VM_KVER=%q\n' "$KVER"
  printf 'VM_MODDIR=%q\n' "$(realpath "$CACHE/kernel/lib/modules/$KVER")"
  printf 'VM_ENV=%q\n' "${PPP_VM_ENV:-}"
} > "$RUN/vm.conf"
{
  printf 'cd %q || exit 125\n' "$DIR"
  printf 'exec'; printf ' %q' "$@"; printf '\n'
} > "$RUN/cmd.sh"
: > "$RUN/stdout"; : > "$RUN/stderr"

if [ "$ACCEL" = auto ]; then
  ACCEL=tcg
  if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then ACCEL=kvm; fi
fi
# shellcheck disable=SC2054
case "$ACCEL" in
  kvm) ACCEL_ARGS=(-accel kvm -cpu host) ;;
  tcg) ACCEL_ARGS=(-accel tcg,thread=multi -cpu "$TCG_CPU") ;;
  *) die "PPP_VM_ACCEL must be auto, kvm or tcg" ;;
esac
KERNEL="$CACHE/kernel/vmlinux"; [ -f "$KERNEL" ] || KERNEL="$CACHE/kernel/vmlinuz"
# Boot-time savers: each of these is worth 0.1-1 s under TCG.  acpi=off: no
# ACPI table parsing/PCI link setup (the guest leaves by reset, not poweroff);
# cryptomgr.notests: no crypto self-tests; norandmaps: no ASLR, so TCG can
# reuse translated code of shared libraries across processes (exec of a
# dynamic binary 43 ms -> 20 ms).
APPEND="console=ttyS0 quiet panic=-1 mitigations=off nokaslr rodata=off init_on_alloc=0 init_on_free=0 audit=0 apparmor=0 selinux=0 tsc=reliable no_timer_check random.trust_cpu=on cryptomgr.notests norandmaps"
# acpi=off saves ~0.5-1 s of boot under TCG, but (1) the guest then finds only
# one CPU (PVH boot, no MP table) and (2) it loses the HPET/ACPI-PM timers the
# TSC is calibrated against; PIT calibration under TCG fails randomly, leaving
# a 4 ms-resolution jiffies clock.  TCG's guest TSC *is* the host TSC, so we
# pass the host's TSC rate (tsc_early_khz) and skip ACPI only when it is known.
host_tsc_khz() {
  local mhz
  mhz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | tail -n 1)
  [ -n "$mhz" ] || mhz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | head -n 1)
  if [ -z "$mhz" ] && grep -qw constant_tsc /proc/cpuinfo; then
    mhz=$(awk -F: '/^cpu MHz/ { gsub(/ /, "", $2); print $2; exit }' /proc/cpuinfo)
  fi
  [ -n "$mhz" ] && awk -v m="$mhz" 'BEGIN { k = int(m * 1000); if (k < 100000) exit 1; print k }'
}
if [ "$SMP" = 1 ] && [ -z "${PPP_VM_ACPI:-}" ]; then
  if [ "$ACCEL" = kvm ]; then
    APPEND="$APPEND acpi=off"
  elif KHZ=$(host_tsc_khz); then
    APPEND="$APPEND acpi=off tsc_early_khz=$KHZ"
  fi
fi
APPEND="$APPEND ${PPP_VM_APPEND:-}"

fs() { # fs ID PATH TAG [extra fsdev opts]
  printf -- '-fsdev\nlocal,id=%s,path=%s,security_model=none,multidevs=remap%s\n-device\nvirtio-9p-pci,fsdev=%s,mount_tag=%s\n' "$1" "$2" "${4:-}" "$1" "$3"
}
mapfile -t FS_ARGS < <(fs fsroot / hostroot ,readonly=on; fs fsctl "$RUN" vmctl; fs fsdir "$DIR" hostdir)

log "accel=$ACCEL smp=$SMP mem=${MEM}M kernel=$KERNEL initrd=$INITRD run=$RUN"
T0=$(date +%s.%N)
timeout -s TERM "$TIMEOUT" qemu-system-x86_64 -nodefaults -no-user-config -machine pc "${ACCEL_ARGS[@]}" \
  -smp "$SMP" -m "$MEM" -display none -vga none -no-reboot -monitor none \
  -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
  -serial "file:$RUN/console.log" \
  "${FS_ARGS[@]}" \
  -device virtio-rng-pci \
  < /dev/null > "$RUN/qemu.log" 2>&1 &
QPID=$!
# Stream CMD's output while the VM runs.  --pid makes tail do a last read and
# exit once qemu (our child, reaped by the wait below) is gone.
tail -n +1 -s 0.1 --pid="$QPID" -f "$RUN/stdout" & TAILS="$!"
tail -n +1 -s 0.1 --pid="$QPID" -f "$RUN/stderr" >&2 & TAILS="$TAILS $!"
# Wait for qemu; once the guest has written its status, give it a few
# seconds to reset and then stop qemu ourselves (a guest that hangs while
# shutting down must not cost us the whole timeout).
QRC=0 grace=0
while kill -0 "$QPID" 2>/dev/null; do
  if [ -s "$RUN/rc" ]; then
    grace=$((grace + 1))
    [ $grace -gt 50 ] && { echo "run-in-vm: guest did not shut down, stopping qemu" >&2; kill "$QPID" 2>/dev/null; }
  fi
  sleep 0.1
  # a zombie still answers kill -0: reap it when it has exited
  [ -e "/proc/$QPID/stat" ] && [ "$(awk '{print $3}' "/proc/$QPID/stat" 2>/dev/null)" = Z ] && break
done
wait "$QPID" || QRC=$?
QPID=""
T1=$(date +%s.%N)
for p in $TAILS; do wait "$p" 2>/dev/null || true; done
TAILS=""
[ "$QRC" = 124 ] && [ ! -s "$RUN/rc" ] && touch "$RUN/timed_out"
log "vm wall time: $(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }') s (qemu rc=$QRC)"

if [ -n "${PPP_VM_VERBOSE:-}" ]; then
  echo "----- guest console -----" >&2; cat "$RUN/console.log" >&2
  echo "----- stage2.log -----" >&2; cat "$RUN/stage2.log" >&2 2>/dev/null || true
  echo "----- qemu.log -----" >&2; cat "$RUN/qemu.log" >&2
fi
if [ -e "$RUN/timed_out" ]; then
  echo "run-in-vm: VM killed after ${TIMEOUT}s timeout" >&2
  exit 124
fi
if [ ! -s "$RUN/rc" ]; then
  echo "run-in-vm: VM exited (qemu rc=$QRC) without a command status; last console lines:" >&2
  tail -n 30 "$RUN/console.log" >&2 || true
  [ -s "$RUN/qemu.log" ] && { echo "qemu:" >&2; cat "$RUN/qemu.log" >&2; }
  [ -s "$RUN/stage2.log" ] && { echo "stage2:" >&2; tail -n 20 "$RUN/stage2.log" >&2; }
  exit 125
fi
exit "$(cat "$RUN/rc")"
