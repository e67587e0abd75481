'use strict';
// tftp-impair.js: lesson 07's server and client in a network namespace of their own
// whose loopback loses, duplicates and reorders UDP datagrams. Used by
// tests/integration/tftp.test.js (light cases, make test) and tests/stress/tftp.test.js
// (heavy ones, make stress).
//
// The kernel here has no netem qdisc (lessons/05_wire/README.md, part 5, says so and uses nftables),
// so each impairment is built from what it has, nftables and HTB, on the output hook of
// `lo`, for every UDP datagram, in this order:
//   - loss:        `numgen random mod 100 < LOSS drop`;
//   - duplication: `numgen random mod 100 < DUP dup to 127.0.0.1 device lo`: a copy of
//                  the datagram goes out at once, beside the original;
//   - reordering:  `numgen random mod 100 < REORDER meta priority set 1:20`: the datagram
//                  is put in a slow HTB class while the rest take the fast class 1:10, so
//                  the datagrams sent after it overtake it. The slow class's rate is set
//                  so that one block waits about 5 ms there (blksize x 1,600 bit/s: 2.3
//                  Mbit/s for 1428), more behind others: a fixed rate would hold 64 KiB
//                  blocks for a quarter of a second each and turn reordering into loss.
// Each rule counts what it did (`counter`); the counts are printed after the transfers
// as "impaired: dropped N, duplicated N, delayed N" with the retransmission counts both
// programs print.
//
// As root the namespace is `unshare -n`; otherwise `unshare -rn`, a user namespace, where
// the system allows an unprivileged user one.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, workDir, run } = require('./helpers');

const SERVER = path.join(ROOT, 'build', 'lessons', '07_tftp_server');
const CLIENT = path.join(ROOT, 'build', 'lessons', '07_tftp_client');

const SCRIPT = `
set -eu
ip link set lo up
tc qdisc add dev lo root handle 1: htb default 10
tc class add dev lo parent 1: classid 1:10 htb rate 10gbit 2>/dev/null
tc class add dev lo parent 1: classid 1:20 htb rate "$SLOW" ceil "$SLOW"
nft add table ip impair
nft add chain ip impair out '{ type filter hook output priority 0; }'
nft add rule ip impair out meta l4proto udp numgen random mod 100 '<' "$LOSS" counter drop
nft add rule ip impair out meta l4proto udp numgen random mod 100 '<' "$DUP" counter dup to 127.0.0.1 device lo
nft add rule ip impair out meta l4proto udp numgen random mod 100 '<' "$REORDER" counter meta priority set 1:20
"$SERVER" --port 6969 --dir "$DIR/server_files" > "$DIR/server.log" 2>&1 &
# A client that fails ends the script here (set -e): the server must not outlive it
# (it would keep the namespace, and the test's port, alive).
trap 'kill %1 2>/dev/null || true' EXIT
sleep 0.3
"$CLIENT" get f.bin "$DIR/client_files/f.bin" $FLAGS
"$CLIENT" put up.bin "$DIR/client_files/up.bin" $FLAGS
sleep 0.5
kill %1
cat "$DIR/server.log"
nft list chain ip impair out | awk '/counter/ { for (i = 1; i < NF; i++) if ($i == "packets") n[++k] = $(i + 1) }
  END { printf "impaired: dropped %d, duplicated %d, delayed %d\\n", n[1], n[2], n[3] }'
`;

/**
 * A get of a `size`-byte file and a put of `size + 1` bytes with the kit's client and
 * server under the given percentages. Resolves with { code, stdout, stderr, src, up,
 * dir, notes }: notes are the lines to report (retransmissions, impairment counts).
 */
async function impairedTransfers({ loss, dup, reorder, size, flags, ms = 60000 }) {
  const m = /--blksize (\d+)/.exec(flags);
  const blksize = m ? Number(m[1]) : 512;
  const dir = workDir({ serverFiles: true, clientFiles: true });
  const src = path.join(dir, 'server_files', 'f.bin');
  const up = path.join(dir, 'client_files', 'up.bin');
  fs.writeFileSync(src, crypto.randomBytes(size));
  fs.writeFileSync(up, crypto.randomBytes(size + 1));
  const r = await run('unshare', [process.getuid() === 0 ? '-n' : '-rn', 'bash', '-c', SCRIPT], {
    env: { LOSS: String(loss), DUP: String(dup), REORDER: String(reorder), SLOW: `${blksize * 1600}bit`, SERVER, CLIENT, DIR: dir, FLAGS: flags },
    ms,
  });
  const notes = r.stdout.split('\n').filter((l) => /retransmissions|impaired:/.test(l));
  return { ...r, src, up, dir, notes };
}

module.exports = { impairedTransfers, SERVER, CLIENT };
