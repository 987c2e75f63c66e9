#!/bin/sh
# `make bench`: run every benchmark and print one Markdown table.
# usage: bench/run.sh BUILDDIR   (BENCH_SCALE=0.2 for a quicker, noisier run)
set -e
b=${1:-.}
aring_echo=$b/bench/echo_aring
if [ -x "$b/examples/echo_server" ]; then
	aring_echo=$b/examples/echo_server
	# Its recv and write-back carry a 30 s timeout: give the baseline the same.
	export ECHO_RAW_TIMEOUT_S=30
fi
echo "aring benchmarks: $(date -u '+%Y-%m-%d %H:%M UTC'), Linux $(uname -r), $(nproc) CPUs"
echo "echo: aring side is ${aring_echo#$b/}, baseline bench/echo_raw${ECHO_RAW_TIMEOUT_S:+ with a ${ECHO_RAW_TIMEOUT_S} s linked timeout on every recv and send}; ratio = aring / baseline"
echo
echo "| metric | aring | baseline | ratio | target | met? |"
echo "|---|---|---|---|---|---|"
"$b/bench/bench_switch"
"$b/bench/bench_coop"
"$b/bench/bench_nop"
"$b/bench/bench_spawn"
"$b/bench/echo_bench" "$b/bench/echo_raw" "$aring_echo" "$b/bench/.libs/libmcount.so"
"$b/bench/bench_sim"
"$b/bench/bench_scale"
