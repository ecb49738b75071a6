#!/usr/bin/env bash
# Flake check: run the service, batch and review tests ROUNDS times in a row (default 20),
# each round in a new shuffled order (pytest-randomly, seed = the round number), and count
# the rounds that failed. Usage: nice -n 19 tests/flake_check.sh [ROUNDS] [LOG_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-20}"
logs="${2:-$(mktemp -d)}"
mkdir -p "$logs"
tests=(tests/test_service.py tests/test_service_limits.py tests/test_batch.py
       tests/test_review_store.py tests/test_review_api.py)
export CI="${CI:-true}"
failed=0
for round in $(seq 1 "$rounds"); do
    if python -m pytest -q -p no:cacheprovider --randomly-seed="$round" "${tests[@]}" >"$logs/round$round.log" 2>&1; then
        status=passed
    else
        status=FAILED
        failed=$((failed + 1))
    fi
    echo "round $round/$rounds: $status ($(tail -n 1 "$logs/round$round.log"))"
done
echo "flake check: $((rounds - failed)) of $rounds rounds passed, $failed failed (logs in $logs)"
[ "$failed" -eq 0 ]
