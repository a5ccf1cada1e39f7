#!/usr/bin/env bash
# Side-by-side benchmark: the Resona workload on LanceDB (Node) and on the Go
# engine, over the same benchgen vector files, in one run. Each engine prints
# one JSON line; this script tags each line with the run id, the step and the
# whole-process wall time, and appends it to bench/results/<date>.jsonl.
#
#   bench/run.sh                 N=150000 D=1024 Q=200 (about 1.5 GB disk per engine)
#   SIZE=small bench/run.sh      N=20000, a quick run
#
# Environment: N, D, Q, BATCH (100), INCR (N/10), WORK (scratch directory for
# data and tables, default ${TMPDIR:-/tmp}/resona-bench), LANCEDB13=1 to also
# run LanceDB 0.13.0 (default: on for SIZE=small), KEEP=1 to keep the tables,
# RESULTS to write elsewhere than bench/results/<date>.jsonl, SERVICE=0 to
# skip the service-level step (package resona, EmbedBatch + Maintain),
# STEPS to run a subset of "write read service" (read needs KEEP=1 tables
# of an earlier run in the same WORK).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-full}
if [ "$SIZE" = small ]; then
	N=${N:-20000}
	LANCEDB13=${LANCEDB13:-1}
else
	N=${N:-150000}
	LANCEDB13=${LANCEDB13:-0}
fi
D=${D:-1024}
Q=${Q:-200}
BATCH=${BATCH:-100}
INCR=${INCR:-$((N / 10))}
WORK=${WORK:-${TMPDIR:-/tmp}/resona-bench}
RUN=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=${RESULTS:-bench/results/$(date -u +%F).jsonl}
DATA=$WORK/data-n$((N + INCR))-d$D-q$Q
LOGS=$WORK/logs/$RUN
mkdir -p "$WORK" "$LOGS" bench/results bin

echo "== build" >&2
(cd ../shared/tools/benchgen && go build -o "$OLDPWD/bin/benchgen" .)
CGO_ENABLED=0 go build -o bin/resona-bench ./bench/cmd/resona-bench
npm_install() { # dir
	if [ ! -f "$1/node_modules/.resona-installed" ] || [ "$1/package.json" -nt "$1/node_modules/.resona-installed" ]; then
		(cd "$1" && npm install --no-audit --no-fund --loglevel=error)
		touch "$1/node_modules/.resona-installed"
	fi
}
npm_install bench/lancedb
if [ "$LANCEDB13" = 1 ]; then npm_install bench/lancedb/v13; fi

# The first N vectors are the table; the next INCR feed the incremental phase.
if [ ! -f "$DATA/queries.f32" ]; then
	echo "== generate $((N + INCR)) x $D vectors, $Q queries" >&2
	bin/benchgen -n $((N + INCR)) -d "$D" -q "$Q" -out "$DATA" >&2
fi

emit() { # step wall_s json-line
	printf '%s\n' "$3" | sed "s/^{/{\"run\":\"$RUN\",\"step\":\"$1\",\"wall_s\":$2,/" >>"$RESULTS"
	printf '%s\n' "$3" | sed "s/^{/{\"run\":\"$RUN\",\"step\":\"$1\",\"wall_s\":$2,/" >&2
}
# step NAME CMD...: runs one engine process, records its JSON line and its
# whole-process wall time (including start-up and loading the vectors).
step() {
	local name=$1
	shift
	echo "== $name: $*" >&2
	local t0 t1 line load
	load=$(cut -d' ' -f1 /proc/loadavg)
	t0=$(date +%s.%N)
	if ! line=$("$@" 2>"$LOGS/$name.err" | tail -n 1); then
		echo "$name failed, see $LOGS/$name.err" >&2
		tail -n 5 "$LOGS/$name.err" >&2
		line='{"error":"failed"}'
	fi
	t1=$(date +%s.%N)
	if grep -q "using 1 CPU for compute" "$LOGS/$name.err"; then
		line=$(printf '%s' "$line" | sed 's/^{/{"lancedb_warns_one_compute_thread":true,/')
	fi
	line=$(printf '%s' "$line" | sed "s/^{/{\"loadavg_at_start\":$load,/")
	emit "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" "$line"
}

machine=$(printf '{"nproc":%s,"cpu":"%s","mem_total_kb":%s,"kernel":"%s","go":"%s","node":"%s","N":%s,"D":%s,"Q":%s,"batch":%s,"incr":%s,"size":"%s"}' \
	"$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" \
	"$(awk '/MemTotal/ {print $2}' /proc/meminfo)" "$(uname -r)" "$(go env GOVERSION)" "$(node --version)" \
	"$N" "$D" "$Q" "$BATCH" "$INCR" "$SIZE")
emit machine 0 "$machine"

STEPS=" ${STEPS:-write read service} "
has() { case "$STEPS" in *" $1 "*) return 0 ;; esac; return 1; }

# Write paths, alternating engines on the same files.
if has write; then
step lancedb-0.39 node bench/lancedb/bench.mjs "$WORK/lancedb-0.39" "$DATA" "$N" "$D" "$BATCH" "$INCR"
step go bin/resona-bench -dir "$WORK/go/embeddings.lance" -data "$DATA" -n "$N" -d "$D" -batch "$BATCH" -incr "$INCR"
if [ "$LANCEDB13" = 1 ]; then
	step lancedb-0.13 env LANCEDB_DIR=bench/lancedb/v13 node bench/lancedb/bench.mjs "$WORK/lancedb-0.13" "$DATA" "$N" "$D" "$BATCH" "$INCR"
fi
fi

# Read paths on the very same tables: full scan and exact search by each
# engine on the table LanceDB wrote and on the table Go wrote (both hold
# N+INCR rows after the incremental phase).
ROWS=$((N + INCR))
if has read; then
step open-lancedb-table-by-lancedb node bench/lancedb/scan.mjs "$WORK/lancedb-0.39" embeddings "$DATA" "$D" lancedb-0.39-table
step open-lancedb-table-by-go bin/resona-bench -open "$WORK/lancedb-0.39/embeddings.lance" -label lancedb-0.39-table -data "$DATA" -n "$ROWS" -d "$D"
step open-go-table-by-lancedb node bench/lancedb/scan.mjs "$WORK/go" embeddings "$DATA" "$D" go-table
step open-go-table-by-go bin/resona-bench -open "$WORK/go/embeddings.lance" -label go-table -data "$DATA" -n "$ROWS" -d "$D"
if [ "$LANCEDB13" = 1 ]; then
	step open-lancedb13-table-by-go bin/resona-bench -open "$WORK/lancedb-0.13/embeddings.lance" -label lancedb-0.13-table -data "$DATA" -n "$ROWS" -d "$D"
fi
fi

# Service level: the root package resona (EmbedBatch with one commit per
# BATCH rows, SearchVector, Maintain) against the same items written in one
# call and maintained the same way. SERVICE=0 skips it.
if [ "${SERVICE:-1}" = 1 ] && has service; then
	step service bin/resona-bench -service "$WORK/service" -data "$DATA" -n "$N" -d "$D" -batch "$BATCH"
fi

if [ "${KEEP:-0}" != 1 ]; then
	rm -rf "$WORK/lancedb-0.39" "$WORK/lancedb-0.13" "$WORK/go" "$WORK/service"
fi
echo "== results appended to $RESULTS (run $RUN); logs in $LOGS" >&2
echo "$RESULTS"
