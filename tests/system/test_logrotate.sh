#!/bin/sh
# test_logrotate: etc/logrotate.d/preforkd.in, its paths pointed at a
# temporary folder, run by logrotate against a running preforkd: the logs
# are renamed, the master and its workers write into new files, a second
# rotation compresses the first one, and a rotation while preforkd is not
# running does not fail. Skipped (77) when logrotate is not installed.
#
#   sh test_logrotate.sh PREFORKD LOGROTATE_TEMPLATE
set -u
. "${0%/*}/lib.sh"

[ $# -eq 2 ] || { echo "usage: sh $0 PREFORKD LOGROTATE_TEMPLATE" >&2; exit 2; }
PREFORKD=$1
TEMPLATE=$2
PATH=$PATH:/usr/sbin:/sbin
if ! command -v logrotate >/dev/null 2>&1; then
    note "logrotate is not installed: skipped (sh tools/deps.sh installs it)"
    exit 77
fi
t_need_curl
t_setup

CONF=$T/preforkd.conf
mkdir "$T/log" "$T/run" || fail "mkdir"
t_site "$T/www"
t_config "$CONF" "$T/log" "$T/run"
LOG=$T/log/error.log
ACCESS=$T/log/access.log

# The installed file with this test's paths: the log folder, the binary,
# the configuration. logrotate wants its files not writable by others.
# Not root, logrotate cannot give the new files to root:adm: they stay the
# runner's.
OWNER='s|^\(    create 0640\) root adm$|\1 root adm|'
[ "$(id -u)" -eq 0 ] || OWNER='s|^\(    create 0640\) root adm$|\1|'
sed -e "s|@PF_LOG_DIR@|$T/log|g" \
    -e "s|@PF_SBIN_DIR@/preforkd|$PREFORKD|g" \
    -e "s|@PF_CONFIG@|$CONF|g" -e "$OWNER" "$TEMPLATE" >"$T/logrotate.conf"
grep -q '^    create 0640' "$T/logrotate.conf" || fail "no create line in the logrotate file"
chmod 0644 "$T/logrotate.conf"
if grep -n '@' "$T/logrotate.conf"; then
    fail "placeholders left in the logrotate file after rewriting its paths"
fi

rotate() {
    logrotate -v -f -s "$T/state" "$T/logrotate.conf" >"$T/logrotate.out" 2>&1
    _rc=$?
    [ "$_rc" -eq 0 ] || { cat "$T/logrotate.out" >&2; fail "logrotate exited $_rc"; }
}

"$PREFORKD" -d -c "$CONF" >"$T/start.out" 2>&1 || { cat "$T/start.out" >&2; fail "preforkd -d failed"; }
MASTER=$(cat "$T/run/preforkd.pid")
PORT=$(t_port "$LOG")
[ -n "$PORT" ] || fail "no \"listening on\" line in $LOG"
[ "$(t_get "$PORT" /hello.txt)" = 200 ] || fail "GET /hello.txt failed"
wait_until 10 t_in_file "$ACCESS" "GET /hello.txt" || fail "no access log line"

note "first rotation"
rotate
[ -f "$LOG.1" ] || fail "$LOG.1 is missing: the error log was not renamed"
grep -q "listening on" "$LOG.1" || fail "$LOG.1 is not the old error log"
[ -f "$ACCESS.1" ] || fail "$ACCESS.1 is missing"
[ -f "$LOG" ] || fail "no new $LOG (create)"
[ "$(stat -c %a "$LOG")" = 640 ] || fail "new $LOG has mode $(stat -c %a "$LOG"), expected 640"
# The master reopens its log on SIGUSR1 and says so in the new file.
wait_until 10 t_in_file "$LOG" "log reopened" || fail "the master did not write into the new error log"
grep -q "log reopened" "$LOG.1" && fail "\"log reopened\" went to the old error log"
# A reload's lines land in the new file too.
"$PREFORKD" -c "$CONF" -s reload >/dev/null || fail "preforkd -s reload failed"
wait_until 10 t_in_file "$LOG" "reload: generation 2" || fail "no reload line in the new error log"
# The workers write into the new access log.
# shellcheck disable=SC2016 # expanded by the inner shell
wait_until 10 sh -c '[ "$(curl -s -o /dev/null -w "%{http_code}" --max-time 5 "http://127.0.0.1:$1/index.html")" = 200 ] && grep -q "GET /index.html" "$2"' \
    sh "$PORT" "$ACCESS" || fail "no request line in the new access log"
grep -q "GET /index.html" "$ACCESS.1" && fail "a request after the rotation went to the old access log"

note "second rotation: the first one is compressed (delaycompress)"
rotate
[ -f "$LOG.2.gz" ] || fail "$LOG.2.gz is missing"
gzip -t "$LOG.2.gz" || fail "$LOG.2.gz is not a gzip file"
[ -f "$LOG.1" ] || fail "$LOG.1 is missing after the second rotation"
wait_until 10 t_in_file "$LOG" "log reopened" || fail "the master did not reopen after the second rotation"

note "a rotation while preforkd is not running does not fail"
"$PREFORKD" -c "$CONF" -s quit >/dev/null || fail "preforkd -s quit failed"
wait_until 20 t_gone "$MASTER" || fail "master $MASTER still running after quit"
rotate

note "ok"
exit 0
