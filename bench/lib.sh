# bench/lib.sh: the callgrind method of bench/server_instructions.sh and bench/filter_instructions.sh, written
# once. Source it (bash) after setting BENCH (the caller's name, for messages), BUILD (a build with fairbid and
# fairbid-loadgen), T (a temp dir with the request bodies in $T/reqs) and CONNECTIONS.

# cg_run CONFIG COUNT -> the callgrind output file of one fairbid worker answering exactly COUNT requests
cg_run() {
    local config=$1 n=$2 d=$T/run-$2
    mkdir -p "$d"
    valgrind --tool=callgrind --callgrind-out-file="$d/cg.out" "$BUILD/fairbid" serve --config "$config" \
        --listen 127.0.0.1:0 --threads 1 --port-file "$d/port" >"$d/log" 2>&1 &
    local pid=$!
    for _ in $(seq 300); do [[ -s $d/port ]] && break; sleep 0.1; done
    [[ -s $d/port ]] || { echo "$BENCH: fairbid did not start:" >&2; cat "$d/log" >&2; exit 1; }
    "$BUILD/fairbid-loadgen" --target "http://127.0.0.1:$(cat "$d/port")/openrtb2/bid" --max --connections "$CONNECTIONS" \
        --requests "$n" --warmup 0s --duration 120s --requests-dir "$T/reqs" --no-busy-poll >"$d/lg.out" 2>&1 || true
    grep -q "requests *$n answered" "$d/lg.out" || { echo "$BENCH: not $n answers:" >&2; cat "$d/lg.out" >&2; exit 1; }
    kill -TERM "$pid"
    wait "$pid" || true
    echo "$d/cg.out"
}

# cg_total FILE -> the total instruction count of a callgrind output file
cg_total() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }

# cg_per BIG SMALL N -> (total(BIG) - total(SMALL)) / N, rounded: the cost of a request, start-up and shutdown
# subtracted
cg_per() { awk -v a="$(cg_total "$1")" -v b="$(cg_total "$2")" -v n="$3" 'BEGIN {printf "%.0f", (a - b) / n}'; }
