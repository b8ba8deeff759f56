#!/bin/sh
# Instructions serve's main thread executes per task, Worker 2.5's cycle against Flamenco 3's,
# under valgrind's callgrind (deterministic where CPU time is not): bench/request-cost.ts run for
# each generation with 50 and with 150 tasks; the difference over 100 tasks is the cost of a
# task without the start-up. V8 runs --predictable (no concurrent compiler or GC threads): without
# it, the counts of builds a few statements per task apart came out up to 10 % apart in either
# direction (what those threads finish first changes what the main thread runs). Takes 3 to 6
# minutes. `sh bench/request-instructions.sh`
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/flamenco-mgr-instructions-XXXXXX")
trap 'rm -rf "$out"' EXIT
cd "$root"
node_modules/.bin/node -e "require('esbuild').build({entryPoints:['bench/request-cost.ts'],outfile:'$out/rc.cjs',bundle:true,platform:'node',target:'node24',format:'cjs',logLevel:'error'})"
main_thread() { # the summary of thread 1 (the main thread: serve)
  grep -m1 '^summary:' "$out/$1".*-01 | cut -d' ' -f2
}
for g in v2 v3; do
  for n in 50 150; do
    valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out/$g-$n.%p" \
      node_modules/.bin/node --predictable "$out/rc.cjs" --only "$g" --tasks "$n" --rounds 1 >"$out/$g-$n.log" 2>&1
  done
  eval "$g=\$(( ( \$(main_thread $g-150) - \$(main_thread $g-50) ) / 100 ))"
done
echo "main-thread instructions per task: v2 $v2, v3 $v3, v3/v2 $(echo "scale=2; $v3 / $v2" | bc)"
