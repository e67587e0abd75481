#!/usr/bin/env bash
# check.sh -- exercise 05_pcap_handshake: decode packets from a capture file (no root needed).
#
#   bash exercises/05_pcap_handshake/check.sh [starter|solution|wrong_*]
#   (or: make check-exercise E=05_pcap_handshake)
#
# Writes four capture files with exercises/pcapgen.js (three random seeds and one fixed
# one), each with what a correct decoder prints for it, runs the exercise's program on
# each, and compares its stdout with that, line for line.
source "$(dirname "$0")/../lib.sh"
ex_init 05_pcap_handshake "$@"
source "$EX_ROOT/exercises/pcapcheck.sh"
ex_pcap_check handshake
