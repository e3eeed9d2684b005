#!/bin/sh
# test_status_page: the status page in a real browser. preforkd runs with
# a control channel; Debian's chromium, headless, driven by selenium
# (python3-selenium, chromium-driver), logs in with the token as the Basic
# password, and status_page_browser.py checks what an operator would
# see: the workers, numbers that move under load, a killed worker
# replaced and its death among the events, no error in the console. A
# screenshot is left in the build folder (status-page.png).
# Skipped (77) when chromium, its driver or selenium is missing, except in
# CI, where tools/deps.sh installs them and a skip would hide the test.
#
#   sh test_status_page.sh PREFORKD SCREENSHOT
set -u
. "${0%/*}/lib.sh"

[ $# -eq 2 ] || { echo "usage: sh $0 PREFORKD SCREENSHOT" >&2; exit 2; }
PREFORKD=$1
SHOT=$2

missing() {
    if [ "${CI:-}" = true ]; then
        fail "$1 (tools/deps.sh installs it)"
    fi
    note "$1: skipped (sh tools/deps.sh installs it)"
    exit 77
}

# The Python that has selenium: Debian's, which a python3 of another
# installation earlier on PATH would hide.
PYTHON=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import selenium' 2>/dev/null; then
        PYTHON=$p
        break
    fi
done
[ -n "$PYTHON" ] || missing "python3-selenium is missing"
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing "chromium is missing"
command -v chromedriver >/dev/null 2>&1 || [ -x /usr/bin/chromedriver ] ||
    missing "chromium-driver is missing"
t_setup

CONF=$T/preforkd.conf
LOG=$T/error.log
t_site "$T/www"
cat >"$CONF" <<CONF
listen = "127.0.0.1:0";
workers = { start = 3; stop_timeout = 2; };
http = { root = "$T/www"; mime_types = ""; };
control = { listen = "127.0.0.1:0"; token_file = "$T/token"; };
daemon = { error_log = "$LOG"; log_level = "info"; pidfile = "$T/preforkd.pid"; user = "$T_USER"; };
CONF

"$PREFORKD" -d -c "$CONF" >"$T/start.out" 2>&1 || { cat "$T/start.out" >&2; fail "preforkd -d failed"; }
PORT=$(t_port "$LOG")
CONTROL=$(t_port_of "$LOG" "control channel listening on")
[ -n "$PORT" ] && [ -n "$CONTROL" ] || fail "no listening lines in $LOG"

"$PYTHON" "${0%/*}/status_page_browser.py" --control "$CONTROL" --token-file "$T/token" \
    --service "$PORT" --workers 3 --profile "$T/chromium" --screenshot "$SHOT" ||
    fail "the status page in the browser"
note "screenshot: $SHOT"
kill -TERM "$(cat "$T/preforkd.pid")"
