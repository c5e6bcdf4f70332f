#!/usr/bin/env bash
# The GPU check, in one call on a machine with a CUDA GPU where CuPy and PyTorch (CUDA) are already
# installed; it installs nothing.  Within BUDGET seconds (8 minutes) it runs
#   1. benchmarks/bench_train_step.py --device gpu --compare torch --check   (alone, so the timings are clean),
#      minigan again with MINIGAN_FUSED_KERNELS=0 (the plain array lines instead of the fused GPU kernels:
#      what the kernels gain), then cProfile over minigan's dcgan iterations (where the time goes)
#   2. the test suite, where the `device` fixture adds 'gpu' because CuPy sees one (on 8 workers where
#      pytest-xdist is installed),
#   3. the test suite again with MINIGAN_DEVICE=gpu (every tensor made without a device goes to the GPU),
#   4. short runs of examples/toy_1d_gan.py, mnist_gan.py and anime_faces_dcgan.py with --device gpu
#      (2, 3 and 4 side by side), and prints a short table last.  Exit status 0 when every step passed.
#
#   benchmarks/gpu_check.sh               # the check
#   benchmarks/gpu_check.sh --dry-run     # check the prerequisites and print the plan; run nothing
#   benchmarks/gpu_check.sh --device cpu  # the same plan on the CPU: tests this script where there is no GPU
#
# Environment: PYTHON (default python3), OUT (logs, bench.json; default out/gpu_check), BUDGET (default 480).
# minigan is imported from this checkout (PYTHONPATH), so nothing needs installing.
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

DEVICE=gpu
DRY_RUN=0
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --device) DEVICE="$2"; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "gpu_check.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$DEVICE" != gpu ] && [ "$DEVICE" != cpu ]; then
    echo "gpu_check.sh: --device must be gpu or cpu, got $DEVICE" >&2
    exit 2
fi
PYTHON=${PYTHON:-python3}
OUT=${OUT:-out/gpu_check}
BUDGET=${BUDGET:-480}

# ---------------------------------------------------------------- prerequisites
if [ "$DEVICE" = gpu ]; then
    PREFLIGHT='
import sys
try:
    import cupy
except Exception as err:
    sys.exit(f"CuPy does not import ({type(err).__name__}: {err}): this check needs a CUDA GPU with CuPy installed")
try:
    count = cupy.cuda.runtime.getDeviceCount()
except Exception as err:
    sys.exit(f"CuPy sees no GPU ({type(err).__name__}: {err})")
if count == 0:
    sys.exit("CuPy sees no GPU")
name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
try:
    import torch
    torch_note = f"PyTorch {torch.__version__}, CUDA " + ("available" if torch.cuda.is_available() else "NOT available")
except ImportError:
    torch_note = "PyTorch not installed: the benchmark runs without the comparison"
print(f"{name}; CuPy {cupy.__version__}; {torch_note}")
'
else
    PREFLIGHT='
import numpy, platform
print(f"CPU run of the GPU check ({platform.processor() or platform.machine()}); NumPy {numpy.__version__}")
'
fi
if ! MACHINE=$("$PYTHON" -c "$PREFLIGHT" 2>&1); then
    echo "gpu_check.sh: $MACHINE" >&2
    echo "gpu_check.sh: nothing was run (use --device cpu to test this script on the CPU)" >&2
    exit 2
fi
COMPARE=""
TORCH_CHECK="import torch, sys; sys.exit(0 if '$DEVICE' == 'cpu' or torch.cuda.is_available() else 1)"
if "$PYTHON" -c "$TORCH_CHECK" 2>/dev/null; then
    COMPARE="--compare torch --check"
fi

# the short-run flags each example has (they are checked against its --help, so a renamed flag is dropped,
# not fatal)
example_command() {  # script, then "flag value" pairs
    local script=$1; shift
    if [ ! -f "$script" ]; then
        echo ""
        return
    fi
    local help command="$PYTHON $script --device $DEVICE --no-progress --out $OUT/$(basename "$script" .py)"
    help=$("$PYTHON" "$script" --help 2>/dev/null)
    while [ $# -gt 0 ]; do
        if printf '%s' "$help" | grep -q -- "$1 "; then
            command="$command $1 $2"
        fi
        shift 2
    done
    echo "$command"
}
TOY=$(example_command examples/toy_1d_gan.py --steps 300)
MNIST=$(example_command examples/mnist_gan.py --steps 300 --samples 1000)
FACES=$(example_command examples/anime_faces_dcgan.py --steps 150 --faces 1000 --samples 200)
BENCH="$PYTHON benchmarks/bench_train_step.py --device $DEVICE $COMPARE --save $OUT/bench.json"
UNFUSED="$PYTHON benchmarks/bench_train_step.py --device $DEVICE --save $OUT/bench_unfused.json"
if [ "$DEVICE" = cpu ]; then  # a test of this script: a short benchmark is enough
    BENCH="$BENCH --repeats 5 --warmup 1 --no-memory"
    UNFUSED="$UNFUSED --repeats 5 --warmup 1 --no-memory"
fi
PROFILE="$PYTHON benchmarks/bench_train_step.py --device $DEVICE --profile dcgan --repeats 30"
TESTS="$PYTHON -m pytest -q -p no:cacheprovider --tb=short -rfE"
if "$PYTHON" -c "import xdist" 2>/dev/null; then
    TESTS="$TESTS -n 8"
fi

echo "machine: $MACHINE"
echo "budget: ${BUDGET}s; logs in $OUT/"
if [ "$DRY_RUN" = 1 ]; then
    echo "plan:"
    echo "  1. $BENCH"
    echo "     MINIGAN_FUSED_KERNELS=0 $UNFUSED"
    echo "     $PROFILE"
    echo "  2. $TESTS"
    echo "  3. MINIGAN_DEVICE=$DEVICE $TESTS"
    echo "  4. ${TOY:-(examples/toy_1d_gan.py is missing)}"
    echo "     ${MNIST:-(examples/mnist_gan.py is missing)}"
    echo "     ${FACES:-(examples/anime_faces_dcgan.py is missing)}"
    exit 0
fi

# ---------------------------------------------------------------- running, within the budget
mkdir -p "$OUT"
remaining() { echo $((BUDGET - SECONDS)); }

run_step() {  # name, cap in seconds, command...; writes $OUT/<name>.log and $OUT/<name>.status
    local name=$1 cap=$2; shift 2
    local left start status
    left=$(remaining)
    [ "$cap" -gt "$left" ] && cap=$left
    if [ "$cap" -lt 10 ]; then
        echo "skipped(no-time-left) 0" > "$OUT/$name.status"
        return
    fi
    start=$SECONDS
    timeout --kill-after=10 "$cap" "$@" > "$OUT/$name.log" 2>&1
    status=$?
    if [ $status -eq 0 ]; then
        echo "ok $((SECONDS - start))" > "$OUT/$name.status"
    elif [ $status -eq 124 ] || [ $status -eq 137 ]; then
        echo "TIMEOUT(${cap}s) $((SECONDS - start))" > "$OUT/$name.status"
    else
        echo "FAILED(exit $status) $((SECONDS - start))" > "$OUT/$name.status"
    fi
}

rm -f "$OUT"/*.status
echo "1/4 benchmark ..."
run_step bench 180 $BENCH
(export MINIGAN_FUSED_KERNELS=0; run_step bench_unfused 90 $UNFUSED)
run_step profile 40 $PROFILE
echo "2-4/4 tests, tests with MINIGAN_DEVICE=$DEVICE, and the examples, side by side ..."
run_step tests 300 $TESTS &
(export MINIGAN_DEVICE=$DEVICE; run_step tests_default_device 300 $TESTS) &
for example in TOY MNIST FACES; do
    command=${!example}
    name=example_$(echo "$example" | tr '[:upper:]' '[:lower:]')
    if [ -z "$command" ]; then
        echo "missing 0" > "$OUT/$name.status"
    else
        run_step "$name" 150 $command
    fi
done
wait

# ---------------------------------------------------------------- the table
summary() {  # the last line of a log that says how it ended
    case "$1" in
        tests*) grep -E "passed|failed|error" "$OUT/$1.log" 2>/dev/null | tail -1 ;;
        bench) [ -f "$OUT/bench.json" ] && echo "the table above; $OUT/bench.json" ;;
        bench_unfused) [ -f "$OUT/bench_unfused.json" ] && echo "$OUT/bench_unfused.json" ;;
        profile) echo "$OUT/profile.log" ;;
        *) grep -v '^\s*$' "$OUT/$1.log" 2>/dev/null | tail -1 | cut -c1-90 ;;
    esac
}
echo
echo "GPU check, $(date +%Y-%m-%d), $MACHINE"
if [ -f "$OUT/bench.log" ]; then
    grep -E "^(config|mlp-gan|dcgan|vae-mlp|sentence-gan|cond-dcgan|cond-mlp-gan) " "$OUT/bench.log"
fi
if [ -f "$OUT/bench_unfused.log" ]; then
    echo "minigan with MINIGAN_FUSED_KERNELS=0:"
    grep -E "^(mlp-gan|dcgan|vae-mlp|sentence-gan|cond-dcgan|cond-mlp-gan) " "$OUT/bench_unfused.log"
fi
printf '%-22s %-18s %6s  %s\n' step status seconds note
failed=0
for name in bench bench_unfused profile tests tests_default_device example_toy example_mnist example_faces; do
    status="not-run" seconds=0
    [ -f "$OUT/$name.status" ] && read -r status seconds < "$OUT/$name.status"
    case "$status" in ok) ;; *) failed=1 ;; esac
    printf '%-22s %-18s %6s  %s\n' "$name" "$status" "$seconds" "$(summary "$name")"
done
exit $failed
