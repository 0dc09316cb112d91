#!/usr/bin/env bash
# Regenerates the SimGrid time-independent traces in this folder from the MPI programs next to them.
# Needs Debian's libsimgrid-dev (smpicc, smpirun); the test suite itself only reads the committed traces.
# Each trace is written as <name>/trace/rank-<r>.txt, one file per rank, plus <name>/trace.index listing them.
set -euo pipefail
cd "$(dirname "$0")"
command -v smpirun >/dev/null || { echo "record.sh: smpirun not found; apt-get install libsimgrid-dev" >&2; exit 2; }
for i in $(seq 0 15); do echo "host$i"; done > hostfile
work="$(mktemp -d)"
trap 'rm -rf "$work" hostfile' EXIT
record() { # name source ranks
  local name="$1" src="$2" ranks="$3"
  smpicc -O1 -o "$work/$name" "$name/$src"
  (cd "$work" && smpirun -np "$ranks" -platform "$OLDPWD/platform.xml" -hostfile "$OLDPWD/hostfile" \
      --cfg=smpi/host-speed:1Gf --cfg=smpi/display-timing:no --log=root.thresh:warning \
      -trace-ti --cfg=tracing/filename:"$name.ti" "./$name")
  rm -rf "$name/trace" && mkdir -p "$name/trace"
  : > "$name/trace.index"
  for r in $(seq 1 "$ranks"); do
    f="$(ls "$work/$name.ti_files/"*"_rank-$r.txt")"
    cp "$f" "$name/trace/rank-$((r - 1)).txt"
    echo "trace/rank-$((r - 1)).txt" >> "$name/trace.index"
  done
}
record halo2d halo2d.c 16
record ring ring.c 8
record master-worker master_worker.c 8
