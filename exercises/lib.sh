# exercises/lib.sh -- sourced by every exercises/NAME/check.sh. Not run by itself.
#
# A check script runs real programs (the exercise's build and the lessons' builds) on
# free ports in a fresh temporary directory, and ends with
#
#   exit 0   the behaviour is right          ("check NAME (variant): PASS")
#   exit 1   the behaviour is wrong          ("check NAME (variant): FAIL: why")
#   exit 2   the check could not run: a build error, a missing tool, a bad argument
#
# Usage of a check script:  bash exercises/NAME/check.sh [starter|solution|wrong_*]
#   starter (default): exercises/NAME/starter/, the copy a student edits in place;
#   solution: exercises/NAME/solution/, the reference solution;
#   wrong_WHAT: a wrong solution kept beside it, which the check must refuse.
# The variant is built with make (build/exercises/NAME/VARIANT) unless EXERCISE_BIN
# names a binary already built (make check-exercise and the tests do that).
# Set CHECK_VERBOSE=1 to see every program's output even when the check passes.

set -u
set -o pipefail

EX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EX_PIDS=()
EX_NAMES=()
EX_TMP=""

ex_say() { echo "check $EX_NAME ($EX_VARIANT): $*"; }

# Show what each program printed (on failure, or always with CHECK_VERBOSE=1).
ex_dump() {
  local n f
  [[ -n $EX_TMP && -d $EX_TMP ]] || return 0
  for n in "${EX_NAMES[@]+"${EX_NAMES[@]}"}"; do
    for f in "$EX_TMP/$n.out" "$EX_TMP/$n.err"; do
      [[ -s $f ]] || continue
      echo "---- $n ${f##*.} ----"
      tail -n 25 "$f" | cut -c1-200
    done
  done
}

ex_fail() {
  ex_say "FAIL: $*"
  ex_dump
  exit 1
}

ex_setup_error() {
  ex_say "cannot run the check: $*" >&2
  exit 2
}

ex_pass() {
  [[ ${CHECK_VERBOSE:-0} == 1 ]] && ex_dump
  ex_say "PASS${1:+: $1}"
  exit 0
}

ex_cleanup() {
  local pid
  for pid in "${EX_PIDS[@]+"${EX_PIDS[@]}"}"; do
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  [[ -n $EX_TMP ]] && rm -rf "$EX_TMP"
}

# ex_init NAME [starter|solution|wrong_*]   (call with "$@" of the check script)
# Sets EX_NAME, EX_VARIANT, EX_BIN (absolute), EX_TMP (the working directory, cwd).
ex_init() {
  EX_NAME=$1
  EX_VARIANT=${2:-starter}
  case $EX_VARIANT in
    starter | solution) ;;
    wrong_*) [[ -d $EX_ROOT/exercises/$EX_NAME/$EX_VARIANT ]] ||
      ex_setup_error "exercises/$EX_NAME has no variant $EX_VARIANT" ;;
    *) EX_VARIANT=starter; ex_setup_error "usage: check.sh [starter|solution|wrong_*], got '$2'" ;;
  esac
  command -v node >/dev/null 2>&1 || ex_setup_error "node is missing (run make deps)"
  local needed=("build/lessons/00_event_loop" "build/lessons/01_tcp_server" "build/lessons/02_tcp_client"
                "build/lessons/03_udp_server" "build/lessons/04_udp_client")
  if [[ -n ${EXERCISE_BIN:-} ]]; then
    EX_BIN=$EXERCISE_BIN
    [[ $EX_BIN == /* ]] || EX_BIN=$EX_ROOT/$EX_BIN
  else
    EX_BIN=$EX_ROOT/build/exercises/$EX_NAME/$EX_VARIANT
    ex_say "building $EX_VARIANT"
    make -C "$EX_ROOT" -s --no-print-directory "build/exercises/$EX_NAME/$EX_VARIANT" "${needed[@]}" ||
      ex_setup_error "the build failed (see the compiler's messages above)"
  fi
  [[ -x $EX_BIN ]] || ex_setup_error "$EX_BIN is missing (run: make check-exercise E=$EX_NAME)"
  local b
  for b in "${needed[@]}"; do
    [[ -x $EX_ROOT/$b ]] || ex_setup_error "$b is missing (run make)"
  done
  EX_TMP=$(mktemp -d "${TMPDIR:-/tmp}/check-$EX_NAME-XXXXXX")
  trap ex_cleanup EXIT
  trap 'exit 130' INT TERM
  cd "$EX_TMP" || ex_setup_error "cannot enter $EX_TMP"
  mkdir -p server_files client_files
}

# A port nobody holds right now (another program may take it before we bind it:
# ex_start_server retries).  ex_free_port tcp|udp
ex_free_port() {
  if [[ $1 == udp ]]; then
    node -e "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
  else
    node -e "const s=require('net').createServer();s.listen(0,()=>{console.log(s.address().port);s.close()})"
  fi
}

# ex_start NAME CMD [ARGS...]: run CMD in the background in the working directory,
# its output in NAME.out / NAME.err. Sets EX_LAST_PID.
ex_start() {
  local name=$1
  shift
  "$@" >"$EX_TMP/$name.out" 2>"$EX_TMP/$name.err" </dev/null &
  EX_LAST_PID=$!
  EX_PIDS+=("$EX_LAST_PID")
  EX_NAMES+=("$name")
}

ex_alive() { kill -0 "$1" 2>/dev/null; }

# ex_wait_line NAME PID LINE SECONDS: wait until NAME's stdout has the exact LINE.
# Returns 1 if PID exited first or the time ran out.
ex_wait_line() {
  local name=$1 pid=$2 line=$3 secs=$4 i
  for ((i = 0; i < secs * 20; i++)); do
    grep -qxF -- "$line" "$EX_TMP/$name.out" 2>/dev/null && return 0
    ex_alive "$pid" || { grep -qxF -- "$line" "$EX_TMP/$name.out" 2>/dev/null; return; }
    sleep 0.05
  done
  return 1
}

# ex_count_lines NAME LINE: how many stdout lines of NAME are exactly LINE.
ex_count_lines() { grep -cxF -- "$2" "$EX_TMP/$1.out" 2>/dev/null || true; }

# ex_wait_count NAME LINE N SECONDS: wait until LINE appears N times in NAME's stdout.
ex_wait_count() {
  local i
  for ((i = 0; i < $4 * 20; i++)); do
    (( $(ex_count_lines "$1" "$2") >= $3 )) && return 0
    sleep 0.05
  done
  return 1
}

# ex_wait_exit PID SECONDS: wait for PID to end by itself; sets EX_STATUS (its exit
# status) and returns 0, or kills it after SECONDS and returns 1 (EX_STATUS=timeout).
ex_wait_exit() {
  local pid=$1 secs=$2 i
  for ((i = 0; i < secs * 20; i++)); do
    if ! ex_alive "$pid"; then
      wait "$pid" 2>/dev/null
      EX_STATUS=$?
      return 0
    fi
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  EX_STATUS=timeout
  return 1
}

# ex_start_server NAME tcp|udp READY_LINE CMD [ARGS...]: start a server on a free
# port, given to it as --port P after ARGS, and wait for READY_LINE on its stdout
# ({PORT} in it stands for the port). If the port was taken in between (EADDRINUSE,
# or the server ended), try another one. Sets EX_PORT and EX_SERVER_PID.
ex_start_server() {
  local name=$1 kind=$2 ready=$3 attempt want
  shift 3
  for attempt in 1 2 3 4 5; do
    EX_PORT=$(ex_free_port "$kind") || ex_setup_error "cannot find a free $kind port"
    want=${ready//\{PORT\}/$EX_PORT}
    ex_start "$name" "$@" --port "$EX_PORT"
    EX_SERVER_PID=$EX_LAST_PID
    local i
    for ((i = 0; i < 200; i++)); do
      grep -qxF -- "$want" "$EX_TMP/$name.out" 2>/dev/null && return 0
      grep -qE 'EADDRINUSE|Endereco em uso' "$EX_TMP/$name.out" "$EX_TMP/$name.err" 2>/dev/null && break
      ex_alive "$EX_SERVER_PID" || break
      sleep 0.05
    done
    if ! grep -qE 'EADDRINUSE|Endereco em uso' "$EX_TMP/$name.out" "$EX_TMP/$name.err" 2>/dev/null; then
      ex_fail "$name did not print '$want'"
    fi
    kill -KILL "$EX_SERVER_PID" 2>/dev/null
    wait "$EX_SERVER_PID" 2>/dev/null
  done
  ex_setup_error "no free $kind port after 5 attempts"
}

# ex_saved_files: the files in server_files/, one per line, sorted.
ex_saved_files() { (cd "$EX_TMP/server_files" && ls -1 2>/dev/null | sort); }
