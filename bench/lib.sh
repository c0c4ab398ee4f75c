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

# ---- the filter-mode benches (filter_instructions.sh, filter_vs_nginx.sh): one request, one upstream answer ----

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# filter_request DIR: writes DIR/req.json, no GDPR and an adult, so it is forwarded with its personal data (the
# scrub still runs); FILTER_RESP is the BidResponse the upstream answers it with
filter_request() {
    mkdir -p "$1"
    cat >"$1/req.json" <<'EOF'
{"id":"bench-1","tmax":120,"cur":["USD"],"imp":[{"id":"1","banner":{"w":300,"h":250}}],
 "site":{"domain":"news.example","page":"http://news.example/a"},
 "device":{"ua":"Mozilla/5.0","ip":"203.0.113.7","geo":{"country":"USA","lat":40.7,"lon":-74.0}},
 "user":{"id":"u1","buyeruid":"b1"}}
EOF
}
# shellcheck disable=SC2034 # used by the scripts that source this file
FILTER_RESP='{"id":"bench-1","cur":"USD","seatbid":[{"seat":"up","bid":[{"id":"b1","impid":"1","price":2.5,"adm":"<div>ad</div>","adomain":["dsp.example"],"cat":["1001"],"cattax":8,"crid":"c1","w":300,"h":250,"mtype":1}]}]}'

# nginx_conf DIR BODY: $T/DIR/nginx.conf, one worker in the foreground, its files under $T/DIR, BODY in http {}
nginx_conf() {
    mkdir -p "$T/$1"
    cat >"$T/$1/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/$1/nginx.pid;
error_log $T/$1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $T/$1/body;
    proxy_temp_path $T/$1/proxy;
    fastcgi_temp_path $T/$1/fastcgi;
    uwsgi_temp_path $T/$1/uwsgi;
    scgi_temp_path $T/$1/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    $2
}
EOF
}
