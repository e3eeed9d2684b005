#!/bin/sh
# test_promtool: Prometheus' own linter on what preforkd exposes.
# `promtool check metrics` reads a scrape of /metrics and complains about
# anything a Prometheus user would trip on (names, units, _total on
# counters, HELP and TYPE, histogram buckets). Two servers are scraped
# after some traffic: http with the keeper (requests of several classes
# fill the histograms), and exec workers (their own per-slot series).
# Skipped (77) when promtool is missing (Debian's package prometheus,
# which .ci/run installs; tools/deps.sh does not, since on a machine with
# systemd installing it also starts a Prometheus server), except in CI.
#
#   sh test_promtool.sh PREFORKD
set -u
. "${0%/*}/lib.sh"

[ $# -eq 1 ] || { echo "usage: sh $0 PREFORKD" >&2; exit 2; }
PREFORKD=$1
if ! command -v promtool >/dev/null 2>&1; then
    [ "${CI:-}" = true ] && fail "promtool is missing (.ci/run installs the package prometheus)"
    note "promtool is missing: skipped (apt-get install prometheus)"
    exit 77
fi
t_need_curl
t_setup
t_site "$T/www"

# check NAME PROTOCOL_SETTINGS: start a server, make traffic, scrape it,
# and lint the scrape.
check() {
    _dir=$T/$1
    mkdir "$_dir" || fail "mkdir $_dir"
    cat >"$_dir/preforkd.conf" <<CONF
listen = "127.0.0.1:0";
workers = { start = 2; stop_timeout = 2; };
$2
control = { listen = "127.0.0.1:0"; token_file = "$_dir/token"; };
daemon = { error_log = "$_dir/error.log"; pidfile = "$_dir/preforkd.pid"; user = "$T_USER"; };
CONF
    "$PREFORKD" -d -c "$_dir/preforkd.conf" >"$_dir/start.out" 2>&1 ||
        { cat "$_dir/start.out" >&2; fail "$1: preforkd -d failed"; }
    _port=$(t_port "$_dir/error.log")
    _control=$(t_port_of "$_dir/error.log" "control channel listening on")
    [ -n "$_port" ] && [ -n "$_control" ] || fail "$1: no listening lines"
    if [ "$1" = http ]; then
        for _path in /hello.txt /hello.txt /missing /; do t_get "$_port" "$_path" >/dev/null; done
    fi
    curl -s --max-time 5 -H "Authorization: Bearer $(cat "$_dir/token")" \
        -o "$_dir/metrics.txt" -w '%{http_code}' "http://127.0.0.1:$_control/metrics" \
        >"$_dir/code" || fail "$1: no scrape"
    [ "$(cat "$_dir/code")" = 200 ] || fail "$1: GET /metrics answered $(cat "$_dir/code")"
    grep -q '^preforkd_build_info' "$_dir/metrics.txt" || fail "$1: not a preforkd scrape"
    if ! promtool check metrics <"$_dir/metrics.txt" >"$_dir/promtool.out" 2>&1; then
        cat "$_dir/promtool.out" >&2
        fail "$1: promtool check metrics found problems"
    fi
    note "$1: promtool check metrics: clean ($(grep -c '^# TYPE' "$_dir/metrics.txt") families)"
    kill -TERM "$(cat "$_dir/preforkd.pid")"
}

check http "http = { root = \"$T/www\"; mime_types = \"\"; };"
check exec "protocol = \"exec\"; exec = { command = [\"/bin/sleep\", \"600\"]; };"
