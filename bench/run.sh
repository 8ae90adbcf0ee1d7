#!/usr/bin/env bash
# make bench: the figures of BENCHMARKS.md, measured on this machine.
#
# Generates a large demo data set (BENCH_ENDPOINTS x BENCH_DAYS), then
# measures batch ingest per format family side by side with `rg -c .` (a
# floor for reading the same bytes) and `lnav` loading the same file
# headless, the engine on top of ingest, the time from an appended line to
# its stored event, and the Go benchmarks of the engine and the console.
# Medians of BENCH_RUNS runs. Installs ripgrep, lnav, hyperfine and GNU
# time with apt-get when missing (and allowed).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_DIR:-${TMPDIR:-/tmp}/mamori-bench}
ENDPOINTS=${BENCH_ENDPOINTS:-1500}
DAYS=${BENCH_DAYS:-3}
RUNS=${BENCH_RUNS:-3}
BIG_ENDPOINTS=${BENCH_BIG_ENDPOINTS:-4000}
BIG_DAYS=${BENCH_BIG_DAYS:-3}

need() {
  local missing=()
  for c in "$@"; do command -v "${c%%:*}" >/dev/null || missing+=("${c#*:}"); done
  [ ${#missing[@]} -eq 0 ] && return
  echo "installing ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq "${missing[@]}" >/dev/null; else sudo apt-get install -y -qq "${missing[@]}" >/dev/null; fi
}
need rg:ripgrep lnav:lnav hyperfine:hyperfine /usr/bin/time:time

mkdir -p "$OUT"
go build -o "$OUT/mamori" ./cmd/mamori
M="$OUT/mamori"
RESULTS="$OUT/results.md"
: >"$RESULTS"
say() { echo "$*" | tee -a "$RESULTS"; }

say "# mamori benchmarks — $(date -u +%Y-%m-%dT%H:%MZ)"
say ""
say "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(go version | cut -d' ' -f3)"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
say ""

if [ ! -f "$OUT/data/.done-$ENDPOINTS-$DAYS" ]; then
  rm -rf "$OUT/data"
  "$M" demo --write "$OUT/data" --endpoints "$ENDPOINTS" --days "$DAYS" --seed 7 >/dev/null
  touch "$OUT/data/.done-$ENDPOINTS-$DAYS"
fi

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# ingest_runs FORMAT PATH...: RUNS imports into fresh stores; prints
# "events elapsed_s maxrss_kb" medians.
ingest_runs() {
  local fmt=$1; shift
  local ev el rss
  : >"$OUT/runs"
  for _ in $(seq "$RUNS"); do
    rm -rf "$OUT/db"
    /usr/bin/time -f "%e %M" -o "$OUT/time" "$M" ingest --db "$OUT/db" --log-file "$OUT/mamori.log" ${fmt:+--format "$fmt"} --json "$@" >"$OUT/sum.json"
    ev=$(sed -E 's/.*"events":([0-9]+).*/\1/' "$OUT/sum.json")
    read -r el rss <"$OUT/time"
    echo "$ev $el $rss" >>"$OUT/runs"
  done
  echo "$(cut -d' ' -f1 "$OUT/runs" | median) $(cut -d' ' -f2 "$OUT/runs" | median) $(cut -d' ' -f3 "$OUT/runs" | median)"
}

# hf CMD: median seconds over RUNS runs with hyperfine.
hf() {
  hyperfine --runs "$RUNS" --warmup 1 --style none --export-json "$OUT/hf.json" "$1" >/dev/null 2>&1
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$OUT/hf.json"
}

say "## Batch ingest per format family ($ENDPOINTS endpoints x $DAYS days of demo data; medians of $RUNS runs)"
say ""
say "| file | lines | MB | rg -c . (s) | lnav -n (s) | mamori ingest (s) | events/s | peak RSS (MB) | mamori / rg |"
say "|---|---|---|---|---|---|---|---|---|"
for spec in "squid:proxy/access.log" "zeek:zeek/conn.log" "netfilter:gateway/firewall.log" "dnsmasq:gateway/dnsmasq.log" "zeek:zeek/http.log"; do
  fmt=${spec%%:*}; file="$OUT/data/${spec#*:}"
  lines=$(wc -l <"$file"); mb=$(du -m "$file" | cut -f1)
  rg_s=$(hf "rg -c . $file")
  lnav_s=$(hf "lnav -n $file")
  read -r ev el rss < <(ingest_runs "$fmt" "$file")
  say "| ${spec#*:} | $lines | $mb | $rg_s | $lnav_s | $el | $(awk -v e="$ev" -v s="$el" 'BEGIN{printf "%.0f", e/s}') | $((rss/1024)) | $(awk -v a="$el" -v b="$rg_s" 'BEGIN{printf "%.1fx", a/b}') |"
done
say ""

say "## The whole data set: ingest alone, and ingest + every rule (scan)"
say ""
total_lines=$(cat "$OUT"/data/*/*.log | wc -l)
read -r ev el rss < <(ingest_runs "" "$OUT/data")
say "| command | events | elapsed (s) | events/s | peak RSS (MB) |"
say "|---|---|---|---|---|"
say "| mamori ingest DIR | $ev | $el | $(awk -v e="$ev" -v s="$el" 'BEGIN{printf "%.0f", e/s}') | $((rss/1024)) |"
rm -rf "$OUT/db"
/usr/bin/time -f "%e %M" -o "$OUT/time" "$M" scan --db "$OUT/db" --log-file "$OUT/mamori.log" --json "$OUT/data" >"$OUT/alerts.jsonl"
read -r el rss <"$OUT/time"
say "| mamori scan DIR (ingest + detection) | $ev | $el | $(awk -v e="$ev" -v s="$el" 'BEGIN{printf "%.0f", e/s}') | $((rss/1024)) |"
say ""
say "($total_lines lines in the data set; $(wc -l <"$OUT/alerts.jsonl") alerts.)"
say ""

say "## A 10M-event store"
say ""
if [ ! -f "$OUT/big/.done-$BIG_ENDPOINTS-$BIG_DAYS" ]; then
  rm -rf "$OUT/big"
  "$M" demo --write "$OUT/big" --endpoints "$BIG_ENDPOINTS" --days "$BIG_DAYS" --seed 9 >/dev/null
  touch "$OUT/big/.done-$BIG_ENDPOINTS-$BIG_DAYS"
fi
rm -rf "$OUT/bigdb"
/usr/bin/time -f "%e %M" -o "$OUT/time" "$M" ingest --db "$OUT/bigdb" --log-file "$OUT/mamori.log" --json "$OUT/big" >"$OUT/sum.json"
read -r el rss <"$OUT/time"
ev=$(sed -E 's/.*"events":([0-9]+).*/\1/' "$OUT/sum.json")
say "| events | ingest (s) | events/s | peak RSS (MB) | store on disk |"
say "|---|---|---|---|---|"
say "| $ev | $el | $(awk -v e="$ev" -v s="$el" 'BEGIN{printf "%.0f", e/s}') | $((rss/1024)) | $(du -sh "$OUT/bigdb" | cut -f1) |"
say ""

say "## Go benchmarks (latency, engine, console)"
say ""
say '```'
MAMORI_BENCH_DB="$OUT/bigdb" go test -run '^$' -bench 'AppendToStored' -benchtime 200x ./ingest/ 2>&1 | grep -E '^Benchmark' | tee -a "$RESULTS"
MAMORI_BENCH_DB="$OUT/bigdb" go test -run '^$' -bench . -benchtime 3x ./app/ ./tui/ 2>&1 | grep -E '^Benchmark' | tee -a "$RESULTS" || true
go test -run '^$' -bench 'Pairs|Engine' -benchtime 1x ./detect/... 2>&1 | grep -E '^Benchmark' | tee -a "$RESULTS" || true
say '```'
say ""
say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "results in $RESULTS" >&2
