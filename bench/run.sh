#!/usr/bin/env bash
# make bench: the figures of BENCHMARKS.md, measured on this machine.
#
# Generates a demo data set (BENCH_ENDPOINTS x BENCH_DAYS), then measures
# batch ingest per format family side by side with `rg -c .` (a floor for
# reading the same bytes) and `lnav` loading the same file headless
# (counting its records with SQL, so that lnav prints one line instead of
# the whole file), the engine on top of ingest; on a large data set
# (BENCH_BIG_ENDPOINTS x BENCH_BIG_DAYS, about 20M lines) the ingest rate
# as the store grows in 1M-event slices beside a minimal program writing
# the same entries straight to Badger (bench/curve), detection alone over
# the filled store, and the whole folder imported and scanned at once with
# the bytes per event it takes; then the time from an appended line to
# its stored event, and the Go benchmarks of the engine and the console.
# Medians of BENCH_RUNS runs. Installs ripgrep, lnav, hyperfine and GNU
# time with apt-get when missing (and allowed); `make test` needs none of
# them.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_DIR:-${TMPDIR:-/tmp}/mamori-bench}
ENDPOINTS=${BENCH_ENDPOINTS:-1500}
DAYS=${BENCH_DAYS:-3}
RUNS=${BENCH_RUNS:-3}
BIG_ENDPOINTS=${BENCH_BIG_ENDPOINTS:-4000}
BIG_DAYS=${BENCH_BIG_DAYS:-3}
CURVE_MAX=${BENCH_CURVE_MAX:-10000000}

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

PEAK="$(pwd)/bench/peakmem.sh"

# events FILE: the top-level event count of an ingest --json summary.
events() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$1"; }

# measure CMD...: runs CMD under peakmem.sh; sets el (s), anon and file
# (peak MB).
measure() {
  "$PEAK" "$@" 2>"$OUT/peak" >"$OUT/stdout" || { cat "$OUT/peak" >&2; return 1; }
  read -r el anon file < <(sed -E 's/peakmem: ([0-9.]+) s, peak RSS [0-9]+ MB \(anonymous ([0-9]+) MB, file-backed ([0-9]+) MB\)/\1 \2 \3/' "$OUT/peak" | tail -1)
}

# ingest_runs FORMAT PATH...: RUNS imports into fresh stores; prints
# "events elapsed_s anon_mb file_mb" medians.
ingest_runs() {
  local fmt=$1; shift
  local ev
  : >"$OUT/runs"
  for _ in $(seq "$RUNS"); do
    rm -rf "$OUT/db"
    measure "$M" ingest --db "$OUT/db" --log-file "$OUT/mamori.log" ${fmt:+--format "$fmt"} --json "$@"
    ev=$(events "$OUT/stdout")
    echo "$ev $el $anon $file" >>"$OUT/runs"
  done
  echo "$(cut -d' ' -f1 "$OUT/runs" | median) $(cut -d' ' -f2 "$OUT/runs" | median) $(cut -d' ' -f3 "$OUT/runs" | median) $(cut -d' ' -f4 "$OUT/runs" | median)"
}

# hf CMD: median seconds over RUNS runs with hyperfine.
hf() {
  hyperfine --runs "$RUNS" --warmup 1 --style none --export-json "$OUT/hf.json" "$1" >/dev/null 2>&1
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$OUT/hf.json"
}

if [ -z "${BENCH_SKIP_FAMILIES:-}" ]; then
say "## Batch ingest per format family ($ENDPOINTS endpoints x $DAYS days of demo data; medians of $RUNS runs)"
say ""
say "| file | lines | MB | rg -c . (s) | lnav load (s) | lnav records | mamori ingest (s) | events/s | peak anon / file-backed RSS (MB) | mamori / rg | mamori / lnav |"
say "|---|---|---|---|---|---|---|---|---|---|---|"
for spec in "squid:proxy/access.log" "zeek:zeek/conn.log" "netfilter:gateway/firewall.log" "dnsmasq:gateway/dnsmasq.log" "zeek:zeek/http.log"; do
  fmt=${spec%%:*}; file="$OUT/data/${spec#*:}"
  lines=$(wc -l <"$file"); mb=$(du -m "$file" | cut -f1)
  rg_s=$(hf "rg -c . $file")
  # `lnav -n FILE` alone prints every line: that timed the terminal. The
  # SQL count makes lnav load and index the file and print one number (0
  # when no lnav format matches: it then holds the file as plain text).
  lnav_q="lnav -n -c ';select count(*) from all_logs' $file"
  lnav_s=$(hf "$lnav_q")
  lnav_n=$(eval "$lnav_q" | tail -1 | tr -d ' ')
  read -r ev el anon file < <(ingest_runs "$fmt" "$file")
  say "| ${spec#*:} | $lines | $mb | $rg_s | $lnav_s | $lnav_n | $el | $(awk -v e="$ev" -v s="$el" 'BEGIN{printf "%.0f", e/s}') | $anon / $file | $(awk -v a="$el" -v b="$rg_s" 'BEGIN{printf "%.1fx", a/b}') | $(awk -v a="$el" -v b="$lnav_s" 'BEGIN{printf "%.2f", a/b}') |"
done
say ""

fi

say "## The whole data set: ingest alone, and ingest + every rule (scan)"
say ""
total_lines=$(cat "$OUT"/data/*/*.log | wc -l)
read -r ev el anon file < <(ingest_runs "" "$OUT/data")
say "| command | events | elapsed (s) | events/s | peak anon / file-backed RSS (MB) |"
say "|---|---|---|---|---|"
say "| mamori ingest DIR | $ev | $el | $(awk -v e="$ev" -v s="$el" 'BEGIN{printf "%.0f", e/s}') | $anon / $file |"
rm -rf "$OUT/db"
I="$OUT/data/intel"
measure "$M" scan --db "$OUT/db" --log-file "$OUT/mamori.log" --json --assets "$OUT/data/assets.csv" --ioc "$I/iocs.txt" --geoip "$I/GeoLite2-Country-Test.mmdb" --categories "$I/categories.txt" --timezone +09:00 "$OUT/data"
cp "$OUT/stdout" "$OUT/alerts.jsonl"
say "| mamori scan DIR (ingest + every rule) | $ev | $el | $(awk -v e="$ev" -v s="$el" 'BEGIN{printf "%.0f", e/s}') | $anon / $file |"
say ""
say "($total_lines lines in the data set; $(wc -l <"$OUT/alerts.jsonl") alerts.)"
say ""

if [ ! -f "$OUT/big/.done-$BIG_ENDPOINTS-$BIG_DAYS" ]; then
  rm -rf "$OUT/big"
  "$M" demo --write "$OUT/big" --endpoints "$BIG_ENDPOINTS" --days "$BIG_DAYS" --seed 9 --at 2026-11-20T09:00:00Z >/dev/null
  touch "$OUT/big/.done-$BIG_ENDPOINTS-$BIG_DAYS"
fi
big_lines=$(cat "$OUT"/big/*/*.log | grep -vc '^#')

say "## Ingest as the store grows, beside raw Badger"
say ""
say "The large data set ($BIG_ENDPOINTS endpoints x $BIG_DAYS days, $big_lines lines) cut in time slices of about 1M events, appended to one store slice after slice with \`mamori ingest\`; after each, a minimal program writes the same number of events to its own growing Badger store (default options, two entries per event: the event with a ~300-byte value and an empty index key). The two run back to back, so read the ratio."
say ""
go build -o "$OUT/curve" ./bench/curve
"$OUT/curve" -data "$OUT/big" -mamori "$M" -out "$OUT/curve" -max "$CURVE_MAX" -keep | tee -a "$RESULTS"
say ""

say "## Detection alone over the filled store"
say ""
curve_ev=$(cat "$OUT/curve/events")
measure "$M" scan --db "$OUT/curve/db" --config "$OUT/big/mamori.yaml" --log-file "$OUT/mamori.log" --json
say "| command | events | elapsed (s) | events/s | peak anon / file-backed RSS (MB) |"
say "|---|---|---|---|---|"
say "| mamori scan --db (every rule over the stored events, nothing imported) | $curve_ev | $el | $(awk -v e="$curve_ev" -v s="$el" 'BEGIN{printf "%.0f", e/s}') | $anon / $file |"
say ""
rm -rf "$OUT/curve/db" "$OUT/curve/raw"

say "## A whole incident folder: import and every rule"
say ""
rm -rf "$OUT/bigdb"
measure "$M" scan --db "$OUT/bigdb" --config "$OUT/big/mamori.yaml" --log-file "$OUT/mamori.log" --json "$OUT/big"
ev=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["summary"]["events"])' "$OUT/stdout")
bytes=$(du -sb --apparent-size "$OUT/bigdb" | cut -f1); used=$(du -sB1 "$OUT/bigdb" | cut -f1)
say "| command | events | elapsed (s) | events/s | peak anon / file-backed RSS (MB) | store on disk | bytes per event |"
say "|---|---|---|---|---|---|---|"
say "| mamori scan DIR ($(ls "$OUT"/big/*/*.log | wc -l) files) | $ev | $el | $(awk -v e="$ev" -v s="$el" 'BEGIN{printf "%.0f", e/s}') | $anon / $file | $(du -sh "$OUT/bigdb" | cut -f1) | $(awk -v b="$used" -v e="$ev" 'BEGIN{printf "%.0f", b/e}') |"
say ""
measure "$M" alerts --db "$OUT/bigdb" --log-file "$OUT/mamori.log" --json
say "Opening that store read-only and listing its alerts: $el s, peak anon / file-backed RSS $anon / $file MB."
say ""

say "## Go benchmarks (latency, engine, console)"
say ""
say '```'
MAMORI_BENCH_DB="$OUT/bigdb" go test -run '^$' -bench 'AppendToStored' -benchtime 200x ./ingest/ 2>&1 | grep -E '^Benchmark' | tee -a "$RESULTS"
go test -run '^$' -bench 'AppendToAlert|KeyLatency' -benchtime 50x ./app/ 2>&1 | grep -E '^Benchmark' | tee -a "$RESULTS" || true
MAMORI_BENCH_DB="$OUT/bigdb" go test -run '^$' -bench . -benchtime 5x ./tui/ 2>&1 | grep -E '^Benchmark' | tee -a "$RESULTS" || true
go test -run '^$' -bench . -benchtime 1x ./detect/... 2>&1 | grep -E '^Benchmark' | tee -a "$RESULTS" || true
go test -run '^$' -bench PutEvents -benchtime 2000x ./store/ 2>&1 | grep -E '^Benchmark' | tee -a "$RESULTS" || true
say '```'
say ""
say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "results in $RESULTS" >&2
