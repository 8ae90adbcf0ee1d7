#!/usr/bin/env bash
# peakmem.sh CMD...: runs CMD and prints, on stderr, its wall time and the
# peak of its resident memory split into anonymous memory (the process's
# own heap and stacks) and file-backed pages (the store's memory-mapped
# files, which the kernel reclaims under memory pressure), sampled every
# 50 ms from /proc.
"$@" &
pid=$!
anon=0 file=0 total=0
start=$(date +%s.%N)
while kill -0 "$pid" 2>/dev/null; do
  if read -r a f t < <(awk '/^RssAnon/ {a=$2} /^RssFile/ {f=$2} /^VmRSS/ {t=$2} END {print a+0, f+0, t+0}' "/proc/$pid/status" 2>/dev/null); then
    [ "$a" -gt "$anon" ] && anon=$a
    [ "$f" -gt "$file" ] && file=$f
    [ "$t" -gt "$total" ] && total=$t
  fi
  sleep 0.05
done
wait "$pid"; rc=$?
end=$(date +%s.%N)
printf 'peakmem: %.2f s, peak RSS %d MB (anonymous %d MB, file-backed %d MB)\n' "$(echo "$end - $start" | bc)" $((total/1024)) $((anon/1024)) $((file/1024)) >&2
exit $rc
