#!/usr/bin/env bash
# Runs every Go fuzz target of the module (func FuzzXxx(f *testing.F) in a
# _test.go file, found with grep, so new targets are picked up), one at a
# time, each for FUZZTIME, and prints a summary: target, package, wall time
# (build included), result. Exits non-zero if any target failed; the fuzzer
# then leaves the failing input in the package's testdata/fuzz/FuzzXxx/,
# where `go test` replays it from then on (keep it as a regression case).
#
#   scripts/fuzz.sh            every target, 20 s each
#   FUZZTIME=2m scripts/fuzz.sh 'Sinkhorn|ExactOT'   targets matching a regexp
#
# Settings (environment):
#   FUZZTIME          time per target (go test -fuzztime), default 20s
#   FUZZPARALLEL      fuzzing processes per target (-parallel), default 1: the
#                     project's machines have 2 shared cores
#   FUZZMINIMIZETIME  -fuzzminimizetime, default 100x (100 runs). Go minimizes
#                     every input that finds new coverage, by default for up to
#                     60 s each, with no progress shown: a 20 s run of a target
#                     with large inputs (a CIFAR-10 batch, a results file) then
#                     spends it all minimizing one input. 100 runs keep
#                     failing inputs small enough to read.
#   FUZZLOG           folder for each target's full output, default out/fuzz
set -uo pipefail

cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-20s}"
FUZZPARALLEL="${FUZZPARALLEL:-1}"
FUZZMINIMIZETIME="${FUZZMINIMIZETIME:-100x}"
FUZZLOG="${FUZZLOG:-out/fuzz}"
filter="${1:-.}"

# The build settings of the Makefile, for a standalone run: the toolchain
# go.mod names, the simd experiment the pure-Go backend needs, and
# cpu.fma=off (see fmlib/backend.MathSetting).
export GOTOOLCHAIN="${GOTOOLCHAIN:-$(sed -n 's/^toolchain //p' go.mod)}"
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"
case ",${GODEBUG:-}," in
*,cpu.fma=off,*) ;;
*) export GODEBUG="${GODEBUG:+$GODEBUG,}cpu.fma=off" ;;
esac

# "dir name" lines, sorted by package then target; vendor and testdata
# trees are not the module's packages.
targets=()
while IFS=: read -r file decl; do
  name="${decl#func }" name="${name%%(*}"
  [[ $name =~ $filter ]] && targets+=("$(dirname "${file#./}") $name")
done < <(grep -rE --include='*_test.go' --exclude-dir=vendor --exclude-dir=testdata \
  -o '^func Fuzz[A-Za-z0-9_]*\([A-Za-z_][A-Za-z0-9_]* \*testing\.F\)' .)
mapfile -t targets < <(printf '%s\n' "${targets[@]}" | sort)
if [ -z "${targets[0]:-}" ]; then
  echo "fuzz.sh: no fuzz target matches '$filter'" >&2
  exit 1
fi

mkdir -p "$FUZZLOG"
echo "fuzz.sh: ${#targets[@]} targets, $FUZZTIME each (-parallel $FUZZPARALLEL, -fuzzminimizetime $FUZZMINIMIZETIME); logs in $FUZZLOG/"
summary=()
failed=0
start_all=$SECONDS
for t in "${targets[@]}"; do
  dir="${t% *}" name="${t#* }"
  log="$FUZZLOG/$name.log"
  printf '%-22s %-22s ' "$name" "$dir"
  start=$SECONDS
  if go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" \
    -parallel "$FUZZPARALLEL" "./$dir" >"$log" 2>&1; then
    result="ok"
  else
    result="FAIL"
    failed=$((failed + 1))
  fi
  # The last progress line: how many inputs ran and how many were new.
  execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  stats=$(printf '%5ss  %-6s  %s' "$((SECONDS - start))" "$result" "${execs:-?}")
  echo "$stats"
  summary+=("$(printf '%-22s %-22s %s' "$name" "$dir" "$stats")")
  if [ "$result" = FAIL ]; then
    grep -vE '^fuzz: elapsed' "$log" | tail -20 | sed 's/^/    /'
  fi
done

echo
echo "fuzz summary (FUZZTIME=$FUZZTIME per target):"
printf '%-22s %-22s %6s  %-6s  %s\n' target package time result execs
printf '%s\n' "${summary[@]}"
echo "total: ${#targets[@]} targets, $((${#targets[@]} - failed)) ok, $failed failed, $((SECONDS - start_all)) s wall time"
if [ "$failed" -gt 0 ]; then
  echo "fuzz.sh: $failed target(s) failed; each failing input is in its package's testdata/fuzz/<target>/ (see the logs in $FUZZLOG/)" >&2
  exit 1
fi
