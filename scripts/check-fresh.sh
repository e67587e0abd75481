#!/usr/bin/env bash
# check-fresh.sh -- `make check-fresh`: the README's two commands, exactly as written and
# in that order, on a fresh Debian 12, as a student would run them on a new machine.
#
#   bash scripts/check-fresh.sh            (root: debootstrap and chroot need it)
#
# 1. debootstrap builds a Debian 12 "minbase" root in a temporary directory, with only
#    make, git and ca-certificates added (what a student needs to get the kit at all).
# 2. This machine's apt sources and apt settings, npm configuration and trusted CA
#    certificates are copied in (the new root must reach the same package registries
#    the same way this machine does), and so is a Debian-default /etc/hosts (localhost is
#    127.0.0.1 and ::1 there, unlike on some build machines).
# 3. A fresh `git clone` of this working tree's HEAD goes to /root/kit in the new root.
# 4. The two commands of the README's first ```sh block run there, one after the other,
#    each in a new login shell at the kit's root, as root (a fresh Debian has no sudo:
#    the kit installs what it needs itself, which is what this checks).
# 5. Each command's exit status and duration are printed; everything made is removed
#    (the mounts live in a private mount namespace, and every process started in the
#    new root is in a private PID namespace, so nothing survives the check).
# Exit status: 0 if both commands passed, 1 if one failed, 2 if the check could not run.
#
# It downloads the base system and every package the kit needs (about 600 MB), so it
# takes 10-15 minutes; .ci/run runs it after the other suites.
# Knobs: FRESH_SUITE (bookworm), FRESH_MIRROR (from this machine's apt sources),
# FRESH_KEEP=1 keeps the directory for a look afterwards (its path is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

say() { printf 'check-fresh: %s\n' "$*"; }
die() { say "$*" >&2; exit 2; }

if [[ $(id -u) -ne 0 ]]; then
  die "needs root (debootstrap, chroot and mounts); run: sudo make check-fresh"
fi
for tool in debootstrap unshare chroot git; do
  command -v "$tool" >/dev/null 2>&1 || {
    say "installing debootstrap"
    { apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends debootstrap >/dev/null \
      || { apt-get -o DPkg::Lock::Timeout=300 update >/dev/null &&
           apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends debootstrap >/dev/null; }; } \
      || die "could not install debootstrap: apt-get update && apt-get install -y debootstrap"
    break
  }
done

suite=${FRESH_SUITE:-bookworm}
# The first Debian mirror this machine's apt uses (deb822 .sources or a one-line .list).
mirror=${FRESH_MIRROR:-$(
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'
  } | grep -v security | head -n 1 || true)}
[[ -n $mirror ]] || die "no Debian mirror found in /etc/apt; set FRESH_MIRROR"

# The README's two commands: the first ```sh block of README.md.
mapfile -t commands < <(awk '/^```sh$/{f=1; next} f && /^```/{exit} f && NF' README.md)
(( ${#commands[@]} == 2 )) || die "README.md's first sh block should hold two commands, has ${#commands[@]}"

work=$(mktemp -d /var/tmp/kit-fresh.XXXXXX)
root=$work/root
cleanup() {
  if [[ ${FRESH_KEEP:-0} == 1 ]]; then say "kept: $work"; return; fi
  # The mounts were private to the namespace below and are gone with it; --one-file-system
  # makes sure that nothing still mounted is followed, whatever happened.
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

say "debootstrap $suite (minbase + make git ca-certificates) from $mirror"
t0=$SECONDS
debootstrap --variant=minbase --include=make,git,ca-certificates "$suite" "$root" "$mirror" \
  > "$work/debootstrap.log" 2>&1 || { tail -n 20 "$work/debootstrap.log"; die "debootstrap failed"; }
say "base system ready in $((SECONDS - t0)) s"

# What reaches the registries: apt's sources and settings, npm's configuration, the CAs.
rm -f "$root"/etc/apt/sources.list
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
         /etc/apt/apt.conf.d/*; do
  [[ -f $f ]] && cp "$f" "$root$f"
done
[[ -f /etc/npmrc ]] && cp /etc/npmrc "$root/etc/npmrc"
[[ -f $HOME/.npmrc ]] && cp "$HOME/.npmrc" "$root/root/.npmrc"
if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
  cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"

git clone -q --no-hardlinks "$top" "$root/root/kit"
say "cloned $(git -C "$top" rev-parse --short HEAD) into /root/kit"

# Inside: a private mount namespace (the mounts vanish with it) and PID namespace (every
# process left running is killed when its init, the shell below, exits).
cat > "$root/root/fresh-run.sh" <<'EOF'
set -u
update-ca-certificates >/dev/null 2>&1 || true
status=0
for cmd in "$@"; do
  echo "check-fresh: \$ $cmd"
  start=$(date +%s)
  (cd /root/kit && env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
     LANG=C.UTF-8 TERM=dumb CI="${CI:-}" bash -lc "$cmd" </dev/null)
  rc=$?
  echo "check-fresh: '$cmd' exited with status $rc after $(( $(date +%s) - start )) s"
  [ $rc -eq 0 ] || status=1     # a student would type the second command anyway
done
exit $status
EOF
set +e
unshare --mount --pid --fork --propagation private bash -c '
  set -e
  root=$1; shift
  # The new root is a mount point of its own, as / is on a real machine: a program that
  # makes / private in a mount namespace of its own (unshare -m, as the doc test does)
  # fails with EINVAL on a plain directory.
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
  mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
  exec chroot "$root" bash /root/fresh-run.sh "$@"
' check-fresh "$root" "${commands[@]}" 2>&1 | tee "$work/run.log"
status=${PIPESTATUS[0]}
set -e
if (( status == 0 )); then
  say "passed: ${commands[*]} on a fresh Debian $suite ($((SECONDS - t0)) s in all)"
else
  say "FAILED (status $status); the log above ends with the failing command's output"
  status=1
fi
exit $status
