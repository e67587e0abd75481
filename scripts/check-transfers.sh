#!/usr/bin/env bash
# check-transfers.sh -- byte-exact file transfers between the lesson programs:
# TCP (01_tcp_server <- 02_tcp_client) and UDP (03_udp_server <- 04_udp_client), and the
# same pairs of raw twins (NN_name_raw) when built, each in its own temporary directory
# on a free port. Used by `make check` (mk/check.mk) twice:
#
#   scripts/check-transfers.sh --bin build/asan/lessons     the ASan+UBSan lessons
#   scripts/check-transfers.sh --valgrind                   build/lessons under memcheck
#
# Options: --bin DIR (default build/lessons), --valgrind, --tcp-bytes N (default
# 3145729), --keep (keep the temporary directory). Exit status 0 if every transfer was
# byte-exact and clean, 1 otherwise; each failure is explained on stderr.
#
# "Clean" means: no process wrote anything on stderr (so no sanitizer report), each
# client exited 0, and under valgrind every log says "ERROR SUMMARY: 0 errors".
#
# Why servers and clients are judged differently under valgrind. The lesson servers are
# faithful to the document's programs: they never exit by themselves (a Node server runs
# until it is killed), and the lessons must not change for the sake of a test. So each
# server is stopped with SIGTERM once its file is saved and checked. valgrind still runs
# its leak check when the program dies of a signal, but whatever the program held at
# that moment (the loop, the listening socket, the thread pool's threads) is "still
# reachable", not a leak. The options below therefore make only *definite* and
# *indirect* leaks errors (--errors-for-leak-kinds=definite,indirect): a block nobody
# points to is a real leak even at a kill, and memory errors (invalid reads or writes,
# uninitialised values) are errors wherever they happen. The clients exit normally at
# the end of their loop, so for them the full exit-time check applies: the same leak
# kinds, --error-exitcode=1, and --track-fds=yes (a descriptor the program opened and
# did not close, i.e. not "<inherited from parent>", fails the check).
set -u
cd "$(dirname "$0")/.." || exit 2

BIN=build/lessons
VALGRIND=0
KEEP=0
TCP_BYTES=3145729  # 3 MiB + 1: many 64 KiB reads, an odd tail
UDP_BYTES=65507    # the largest IPv4 UDP payload
while (($# > 0)); do
  case $1 in
    --bin) BIN=${2:?--bin needs a directory}; shift 2 ;;
    --valgrind) VALGRIND=1; shift ;;
    --tcp-bytes) TCP_BYTES=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "check-transfers: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

# Sanitizer runtimes: report and stop at the first problem (harmless without them).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export KIT_TRACE=0

for p in 01_tcp_server 02_tcp_client 03_udp_server 04_udp_client; do
  if [[ ! -x $BIN/$p ]]; then
    echo "check-transfers: $BIN/$p is missing (build it first)" >&2
    exit 2
  fi
done
BIN=$(cd "$BIN" && pwd)
if ((VALGRIND)) && ! command -v valgrind >/dev/null; then
  echo "check-transfers: valgrind is not installed" >&2
  exit 2
fi

# Timeouts: valgrind runs the programs 20-50 times slower.
if ((VALGRIND)); then SLOW=60; else SLOW=20; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kit-transfers.XXXXXX")
servers=()
cleanup() {
  local pid
  for pid in "${servers[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  if ((KEEP)); then echo "check-transfers: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

failures=0
fail() { echo "check-transfers: FAIL: $*" >&2; failures=$((failures + 1)); }
show() { [[ -s $1 ]] && sed 's/^/    | /' "$1" >&2; return 0; }

# A port that is free now (bound to 0 and released by node, a dependency of the kit).
free_port() {
  local kind=$1
  if [[ $kind == tcp ]]; then
    node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})'
  else
    node -e 'const s=require("dgram").createSocket("udp4");s.bind(0,()=>{console.log(s.address().port);s.close()})'
  fi
}

# wait_for FILE TEXT PID SECONDS: until FILE holds the line TEXT; fails if PID dies.
wait_for() {
  local file=$1 text=$2 pid=$3 deadline=$((SECONDS + $4))
  while ((SECONDS < deadline)); do
    grep -qxF -- "$text" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { grep -qxF -- "$text" "$file" 2>/dev/null; return; }
    sleep 0.05
  done
  return 1
}

# wrap NAME ROLE: the command prefix that runs a program (valgrind or nothing).
wrap() {
  local name=$1 role=$2
  WRAP=()
  ((VALGRIND)) || return 0
  WRAP=(valgrind --log-file="$work/$name.valgrind" --error-exitcode=1 --leak-check=full
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
        --num-callers=40)
  [[ $role == client ]] && WRAP+=(--track-fds=yes)
  return 0
}

# check_valgrind NAME ROLE: the log of one program run under valgrind.
check_valgrind() {
  local name=$1 role=$2 log=$work/$1.valgrind
  ((VALGRIND)) || return 0
  if ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
    fail "$name: valgrind reported errors (log below)"
    show "$log"
    return
  fi
  if [[ $role == client ]]; then
    # "Open file descriptor N: ..." followed by "<inherited from parent>" was open when
    # the program started (the shell's or make's descriptors); any other N > 2 leaked.
    local leaked
    leaked=$(awk '/== Open / { pending = ""
                               if (match($0, / [0-9]+:/) && substr($0, RSTART + 1, RLENGTH - 2) + 0 > 2) pending = $0
                               next }
                  /<inherited from parent>/ { pending = ""; next }
                  pending != "" { print pending; pending = "" }
                  END { if (pending != "") print pending }' "$log")
    if [[ -n $leaked ]]; then
      fail "$name: descriptors left open at exit:"
      echo "$leaked" | sed 's/^/    | /' >&2
    fi
  fi
  local summary
  summary=$(grep -E 'definitely lost|indirectly lost|ERROR SUMMARY' "$log" | sed 's/^==[0-9]*== *//' | tr '\n' ' ')
  echo "  valgrind $name: ${summary:-no leak summary (nothing allocated?)}"
}

# start_server NAME PROGRAM READY_PREFIX DIR KIND: start a server on a free port; sets
# SERVER_PID and PORT. Retries on a port taken between the check and the bind.
start_server() {
  local name=$1 prog=$2 ready=$3 dir=$4 kind=$5 attempt
  for attempt in 1 2 3 4 5; do
    PORT=$(free_port "$kind")
    wrap "$name" server
    (cd "$dir" && exec "${WRAP[@]}" "$BIN/$prog" --port "$PORT") >"$dir/$name.out" 2>"$dir/$name.err" &
    SERVER_PID=$!
    servers+=("$SERVER_PID")
    local text=$ready
    [[ $kind == tcp ]] && text="$ready $PORT"
    if wait_for "$dir/$name.out" "$text" "$SERVER_PID" "$SLOW"; then
      return 0
    fi
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    grep -q 'EADDRINUSE\|Endereco em uso' "$dir/$name.err" && continue
    fail "$name did not start listening on $PORT"
    show "$dir/$name.out"
    show "$dir/$name.err"
    return 1
  done
  fail "$name: no free port after 5 attempts"
  return 1
}

# stop_server NAME DIR: SIGTERM, reap, then judge its stderr and valgrind log.
stop_server() {
  local name=$1 dir=$2
  kill -TERM "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  if [[ -s $dir/$name.err ]]; then
    fail "$name wrote on stderr"
    show "$dir/$name.err"
  fi
  check_valgrind "$name" server
}

# transfer PROTO SERVER CLIENT READY CLIENT_LINE BYTES SAVED_SUFFIX
transfer() {
  local proto=$1 sprog=$2 cprog=$3 ready=$4 bytes=$6 suffix=$7
  local dir=$work/$proto sname=${proto}_server cname=${proto}_client
  mkdir -p "$dir/server_files" "$dir/client_files"
  head -c "$bytes" /dev/urandom >"$dir/client_files/client.txt"
  start_server "$sname" "$sprog" "$ready" "$dir" "${proto%_raw}" || return
  local expected=${5//PORT/$PORT}

  wrap "$cname" client
  (cd "$dir" && exec timeout "$SLOW" "${WRAP[@]}" "$BIN/$cprog" --port "$PORT") \
    >"$dir/$cname.out" 2>"$dir/$cname.err"
  local rc=$?
  [[ $rc -eq 0 ]] || fail "$cname exited with status $rc"
  if [[ -s $dir/$cname.err ]]; then
    fail "$cname wrote on stderr"
    show "$dir/$cname.err"
  fi
  if [[ $(cat "$dir/$cname.out") != "$expected" ]]; then
    fail "$cname printed something unexpected"
    show "$dir/$cname.out"
  fi
  check_valgrind "$cname" client

  if wait_for "$dir/$sname.out" 'arquivo salvo com sucesso!' "$SERVER_PID" "$SLOW"; then
    local saved=("$dir"/server_files/server_*_"$suffix".txt)
    if [[ ${#saved[@]} -ne 1 || ! -f ${saved[0]} ]]; then
      fail "$sname: expected one saved file, found: ${saved[*]}"
    elif cmp -s "$dir/client_files/client.txt" "${saved[0]}"; then
      echo "  $proto: $bytes bytes arrived byte-exact ($BIN, port $PORT)"
    else
      fail "$proto: the saved file differs from the one sent ($(stat -c %s "${saved[0]}") of $bytes bytes)"
    fi
  else
    fail "$sname did not save the file"
    show "$dir/$sname.out"
  fi
  stop_server "$sname" "$dir"
}

mode="directly"
((VALGRIND)) && mode="under valgrind memcheck"
echo "check-transfers: $BIN, $mode"
transfer tcp 01_tcp_server 02_tcp_client 'escutando porta' \
  $'conectado ao servidor\nconexao encerrada' "$TCP_BYTES" TCP
transfer udp 03_udp_server 04_udp_client 'aguardando dados do cliente...' \
  'Arquivo enviado por UDP para 127.0.0.1:PORT' "$UDP_BYTES" UDP
# The raw twins (lessons/NN_name/raw.cpp), when they are built in the same directory.
if [[ -x $BIN/01_tcp_server_raw && -x $BIN/02_tcp_client_raw ]]; then
  transfer tcp_raw 01_tcp_server_raw 02_tcp_client_raw 'escutando porta' \
    $'conectado ao servidor\nconexao encerrada' "$TCP_BYTES" TCP
fi
if [[ -x $BIN/03_udp_server_raw && -x $BIN/04_udp_client_raw ]]; then
  transfer udp_raw 03_udp_server_raw 04_udp_client_raw 'aguardando dados do cliente...' \
    'Arquivo enviado por UDP para 127.0.0.1:PORT' "$UDP_BYTES" UDP
fi

if ((failures > 0)); then
  echo "check-transfers: $failures failure(s)" >&2
  exit 1
fi
echo "check-transfers: all transfers byte-exact and clean"
