#!/usr/bin/env bash
# demo.sh: the instructor's live demo (`make demo` builds everything first).
#
# One terminal, one command: lesson 00 (the event loop), then lesson 01's TCP server
# receiving a file from lesson 02's client, then lesson 03's UDP server receiving one
# from lesson 04's client. Each side's lines are prefixed ([server] / [client]) and
# coloured. Everything runs in a temporary directory on ports picked free; every
# process started here is stopped and reaped on exit, also on failure or Ctrl-C.
# KIT_TRACE=1 make demo shows the loop's phases and events as well.
# DEMO_TRACE=1 make demo also records each run again, by the kit and by Node, and draws
# the timelines (build/trace/00.html, 01.html, 03.html; scripts/trace/, a few seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/build/lessons

if [[ -t 1 ]]; then
  C_SERVER=$'\e[36m' C_CLIENT=$'\e[33m' C_HEAD=$'\e[1m' C_OK=$'\e[32m' C_BAD=$'\e[31m' C_OFF=$'\e[0m'
else
  C_SERVER='' C_CLIENT='' C_HEAD='' C_OK='' C_BAD='' C_OFF=''
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kit-demo.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

heading() { printf '\n%s== %s ==%s\n' "$C_HEAD" "$1" "$C_OFF"; }
prefix() { # prefix LABEL COLOUR: prefix each line read from stdin
  local label=$1 colour=$2 line
  while IFS= read -r line; do printf '%s[%s]%s %s\n' "$colour" "$label" "$C_OFF" "$line"; done
}
free_port() { # a port nobody listens on right now, TCP or UDP ($1 = tcp|udp)
  node -e "
    const kind = process.argv[1];
    const s = kind === 'udp' ? require('dgram').createSocket('udp4') : require('net').createServer();
    const done = (p) => { console.log(p); s.close(); };
    if (kind === 'udp') s.bind(0, '0.0.0.0', () => done(s.address().port));
    else s.listen(0, () => done(s.address().port));" "$1"
}
wait_for() { # wait_for FILE TEXT: until FILE contains TEXT (10 s at most)
  for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "demo: timed out waiting for '$2'" >&2
  return 1
}
same_file() { # same_file A B LABEL
  if cmp -s "$1" "$2"; then
    printf '%s  ok%s %s: %s bytes received, byte for byte equal to the file sent\n' "$C_OK" "$C_OFF" "$3" "$(stat -c %s "$2")"
  else
    printf '%s  FAIL%s %s: the received file differs from the one sent\n' "$C_BAD" "$C_OFF" "$3"
    return 1
  fi
}

for lesson in 00_event_loop 01_tcp_server 02_tcp_client 03_udp_server 04_udp_client; do
  [[ -x $BIN/$lesson ]] || { echo "demo: $BIN/$lesson is not built (run make)" >&2; exit 1; }
done

# ----------------------------------------------------------------- lesson 00
heading "lesson 00: one thread, events and callbacks"
"$BIN/00_event_loop" </dev/null 2>&1 | prefix loop "$C_HEAD"

# ----------------------------------------------------------------- lessons 01 + 02
heading "lessons 01 + 02: a file over TCP"
mkdir -p "$WORK/tcp/server_files" "$WORK/tcp/client_files"
head -c 200000 /dev/urandom > "$WORK/tcp/client_files/client.txt"
PORT=$(free_port tcp)
( cd "$WORK/tcp" && exec "$BIN/01_tcp_server" --port "$PORT" ) > "$WORK/tcp/server.log" 2>&1 &
PIDS+=($!)
tail -n +1 -f "$WORK/tcp/server.log" 2>/dev/null | prefix server "$C_SERVER" &
PIDS+=($!)
wait_for "$WORK/tcp/server.log" "escutando porta"
( cd "$WORK/tcp" && "$BIN/02_tcp_client" --port "$PORT" </dev/null 2>&1 ) | prefix client "$C_CLIENT"
wait_for "$WORK/tcp/server.log" "arquivo salvo"
sleep 0.2
TCP_FILE=$(ls "$WORK/tcp/server_files/")
printf '  saved as server_files/%s\n' "$TCP_FILE"
same_file "$WORK/tcp/client_files/client.txt" "$WORK/tcp/server_files/$TCP_FILE" "TCP"

# ----------------------------------------------------------------- lessons 03 + 04
heading "lessons 03 + 04: a file over UDP (one datagram, no connection)"
mkdir -p "$WORK/udp/server_files" "$WORK/udp/client_files"
head -c 1400 /dev/urandom > "$WORK/udp/client_files/client.txt"
PORT=$(free_port udp)
( cd "$WORK/udp" && exec "$BIN/03_udp_server" --port "$PORT" ) > "$WORK/udp/server.log" 2>&1 &
PIDS+=($!)
tail -n +1 -f "$WORK/udp/server.log" 2>/dev/null | prefix server "$C_SERVER" &
PIDS+=($!)
wait_for "$WORK/udp/server.log" "aguardando dados"
( cd "$WORK/udp" && "$BIN/04_udp_client" --port "$PORT" </dev/null 2>&1 ) | prefix client "$C_CLIENT"
wait_for "$WORK/udp/server.log" "arquivo salvo"
sleep 0.2
UDP_FILE=$(ls "$WORK/udp/server_files/")
printf '  saved as server_files/%s\n' "$UDP_FILE"
same_file "$WORK/udp/client_files/client.txt" "$WORK/udp/server_files/$UDP_FILE" "UDP"

heading "summary"
echo "  lesson 00 ran; TCP and UDP transfers arrived whole. Servers stopped; nothing left running."

# ----------------------------------------------------------------- timelines (opt-in)
if [[ -n ${DEMO_TRACE-} && ${DEMO_TRACE} != 0 ]]; then
  heading "timelines: the same runs, kit and Node, as pictures"
  for n in 00 01 03; do
    node scripts/trace/record.js "$n" "$ROOT/build/trace/$n" >/dev/null
    node scripts/trace/view.js "$ROOT"/build/trace/"$n"/*.jsonl -o "$ROOT/build/trace/$n.html" --title "make demo: lesson $n"
  done
  echo "  open them in a browser (they work offline)"
else
  echo "  the loop as a timeline, kit beside Node: DEMO_TRACE=1 make demo, or make trace-view LESSON=01"
fi
