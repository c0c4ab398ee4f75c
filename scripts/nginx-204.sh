#!/usr/bin/env bash
# nginx-204: writes the one nginx config that answers every request `return 204`, the HTTP reference the
# benchmarks compare fairbid with (bench/http_vs_nginx.sh, bench/loadgen_vs_wrk.sh, bench/test_timings.sh) and the
# target of the load generator's tests (tests/integration/test_loadgen_safety.sh). One file, so that a figure
# taken "against nginx" means the same server everywhere (issue 16: there were four hand-written copies).
#
# usage: scripts/nginx-204.sh DIR PORT [WORKERS]   (WORKERS defaults to 1)
# Writes DIR/nginx.conf (creating DIR) and prints its path; run it with `nginx -p DIR -c DIR/nginx.conf`.
# Everything nginx writes (pid, error log, temp files) stays in DIR. No access log (a benchmark of the HTTP
# path, not of logging), keep-alive without a request cap (so a long run never reconnects), listening on
# loopback only.
set -euo pipefail
[[ $# -ge 2 && $# -le 3 ]] || { echo "usage: $0 DIR PORT [WORKERS]" >&2; exit 2; }
DIR=$1 PORT=$2 WORKERS=${3:-1}
[[ $PORT =~ ^[0-9]+$ && $WORKERS =~ ^[0-9]+$ ]] || { echo "$0: PORT and WORKERS must be numbers" >&2; exit 2; }
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
cat >"$DIR/nginx.conf" <<CONF
daemon off;
master_process on;
user root;
worker_processes $WORKERS;
pid $DIR/nginx.pid;
error_log $DIR/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
    access_log off;
    client_body_temp_path $DIR/body;
    proxy_temp_path $DIR/proxy;
    fastcgi_temp_path $DIR/fastcgi;
    uwsgi_temp_path $DIR/uwsgi;
    scgi_temp_path $DIR/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    client_body_buffer_size 64k;
    server {
        listen 127.0.0.1:$PORT reuseport;
        location / { return 204; }
    }
}
CONF
echo "$DIR/nginx.conf"
