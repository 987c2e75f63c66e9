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
"$b/bench/bench_swarm"
"$b/bench/bench_kv"
"$b/bench/bench_scale"
"$b/bench/chat_bench" "$b/examples/chat_server" "$b/bench/chat_sleep"
"$b/bench/bench_post"
# Ring setup flags under three workloads (issue 12: the default's measurement).
"$b/bench/bench_setup"
# Random reads of a page-cached 1 GiB file vs fio (skipped without fio).
"$b/bench/bench_fio"

# Buffers the kernel picks (issue 12): 10,000 echo connections of 64 B,
# examples/echo_server -b vs plain (RSS per connection) and vs
# bench/echo_raw_bufring (round trips/s, CPU per round trip; its sends carry
# a 30 s linked timeout as the example's do).
ECHO_RAW_TIMEOUT_S=30 "$b/bench/echo_conns" "$b/examples/echo_server" "$b/bench/echo_raw_bufring"

# echo_server -t 2 vs -t 1 (issue 12): echo_bench's load (one client thread
# on CPU 1, 50 connections); each server gets both CPUs (taskset -c 0,1
# undoes echo_bench's pin to CPU 0), so on a 2-CPU machine the client and
# the server share the CPUs. ratio = -t 2 / -t 1.
tdir=$(mktemp -d)
for t in 1 2; do
	printf '#!/bin/sh\nexec taskset -c 0,1 %s -t %s "$@"\n' "$b/examples/echo_server" $t >"$tdir/echo_t$t"
	chmod +x "$tdir/echo_t$t"
done
if command -v taskset >/dev/null; then
	"$b/bench/echo_bench" "$tdir/echo_t1" "$tdir/echo_t2" "$b/bench/.libs/libmcount.so" |
		awk -F'|' -v OFS='|' '/round trips\/s/ {
			$2 = " echo_server -t 2 vs -t 1," substr($2, 1); $6 = " report "; $7 = " - "; print }'
fi
rm -rf "$tdir"

# Timeouts on every op (issue 12, item 7): bench/echo_aring with a 30 s
# opt->timeout_ns on every recv and send (deadlines kept by the loop) vs the
# same server without timeouts, 64 B; then the same with
# ARING_OPT_LINKED_TIMEOUT (a linked timeout per op, the old way): reported.
tdir=$(mktemp -d)
printf '#!/bin/sh\nexec %s "$@"\n' "$b/bench/echo_aring" >"$tdir/none"
printf '#!/bin/sh\nECHO_TIMEOUT_S=30 exec %s "$@"\n' "$b/bench/echo_aring" >"$tdir/deadline"
printf '#!/bin/sh\nECHO_TIMEOUT_S=30 ECHO_LINKED=1 exec %s "$@"\n' "$b/bench/echo_aring" >"$tdir/linked"
chmod +x "$tdir/none" "$tdir/deadline" "$tdir/linked"
"$b/bench/echo_bench" "$tdir/none" "$tdir/deadline" "$b/bench/.libs/libmcount.so" \
	"30 s timeout on every op vs none" 1.05 64
"$b/bench/echo_bench" "$tdir/none" "$tdir/linked" "$b/bench/.libs/libmcount.so" \
	"30 s linked timeout (ARING_OPT_LINKED_TIMEOUT) on every op vs none" report 64
rm -rf "$tdir"

# examples/http_server vs bench/http_epoll (same parser, same file work) under
# wrk -t1 -c100 -d3s on a 1 KiB file: server on CPU 0, wrk on CPU 1, 3 rounds
# alternating; ratio = median of per-round ratios. Server CPU per request
# from /proc/PID/stat utime+stime (every thread, io-wq workers included).
http_round() { # PROGRAM DIR -> "requests/s cpu_ns_per_request exit_status"
	out=$(mktemp) && wout=$(mktemp)
	taskset -c 0 "$1" 0 "$2" >"$out" 2>/dev/null &
	pid=$!
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
		[ -n "$port" ] && break
		sleep 0.05
	done
	t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
	taskset -c 1 wrk -t1 -c100 -d${HTTP_BENCH_SECONDS:-3}s "http://127.0.0.1:$port/index.html" >"$wout" 2>&1
	t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
	kill -TERM $pid
	st=0
	wait $pid || st=$?
	awk -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" -v st="$st" '
		/requests in/ { n = $1 } /^Requests\/sec/ { rps = $2 }
		END { printf "%.0f %.0f %d\n", rps, n ? (t1 - t0) * 1e9 / hz / n : 0, st }' "$wout"
	rm -f "$out" "$wout"
}
if command -v wrk >/dev/null && command -v taskset >/dev/null; then
	www=$(mktemp -d)
	head -c 1024 /dev/zero | tr '\0' 'a' >"$www/index.html"
	rows=
	for r in 1 2 3; do
		rows="$rows$(http_round "$b/examples/http_server" "$www") $(http_round "$b/bench/http_epoll" "$www")
"
	done
	rm -rf "$www"
	printf '%s' "$rows" | awk '
		function median(v, n,   i, j, t) {
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
		NF == 6 { n++; ar[n] = $1; ac[n] = $2; er[n] = $4; ec[n] = $5; rr[n] = $4 ? $1 / $4 : 0
			  cr[n] = $5 ? $2 / $5 : 0; if ($3 != 0) bad = 1 }
		END {
			a = median(ar, n); e = median(er, n); r = median(rr, n)
			printf "| http wrk -c100 1 KiB: requests/s (examples/http_server vs bench/http_epoll) | %.1f k/s | %.1f k/s | %.3f | >= 0.90 | %s |\n", a / 1e3, e / 1e3, r, (r >= 0.9 ? "yes" : "NO")
			a = median(ac, n); e = median(ec, n); r = median(cr, n)
			printf "| http: server CPU per request (utime+stime) | %.0f ns | %.0f ns | %.3f | report | - |\n", a, e, r
			printf "| http_server exit status after SIGTERM (every round) | %s | - | - | 0 | %s |\n", (bad ? "not 0" : "0"), (bad ? "NO" : "yes")
		}'
else
	echo "| http wrk -c100: wrk or taskset missing | - | - | - | >= 0.90 | NO |"
fi
# The epoll backend (issue 11): bench/echo_aring on ARING_BACKEND=epoll
# against a plain epoll echo server, and random reads epoll vs uring.
ARING_BACKEND=epoll "$b/bench/echo_bench" "$b/bench/echo_epoll" "$b/bench/echo_aring" \
	"$b/bench/.libs/libmcount.so" "epoll backend"
"$b/bench/bench_read"
