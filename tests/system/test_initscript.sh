#!/bin/sh
# test_initscript: the SysV init script (etc/init.d/preforkd.in, as rendered
# in the build tree) driving the built preforkd, every path given through a
# defaults file named by PREFORKD_DEFAULTS: the LSB exit statuses of start,
# stop, restart, reload, status and reopen, a second start that starts no
# second master, a binary upgrade and one rolled back, a stale pidfile, a
# pidfile that holds no pid, a configuration with errors, a binary behind
# a symbolic link of another name. The server runs from a copy of the binary in
# the temporary folder, so that the upgrade can replace it.
#
#   sh test_initscript.sh PREFORKD INITSCRIPT
set -u
. "${0%/*}/lib.sh"

[ $# -eq 2 ] || { echo "usage: sh $0 PREFORKD INITSCRIPT" >&2; exit 2; }
BUILT=$1
INIT=$2
t_need_curl
t_setup
mkdir "$T/bin" || fail "mkdir"
PREFORKD=$T/bin/preforkd
cp "$BUILT" "$PREFORKD" || fail "cp $BUILT"

CONF=$T/preforkd.conf
PIDFILE=$T/preforkd.pid
LOG=$T/error.log
t_site "$T/www"
t_config "$CONF" "$T" "$T"
cp "$CONF" "$T/good.conf"

write_defaults() { # ENABLED
    cat >"$T/defaults" <<EOF
ENABLED=$1
DAEMON=$PREFORKD
CONF=$CONF
PIDFILE=$PIDFILE
DAEMON_OPTS=""
STOP_TIMEOUT=20
UPGRADE_TIMEOUT=20
EOF
}
write_defaults yes
PREFORKD_DEFAULTS=$T/defaults
SYSTEMCTL_SKIP_REDIRECT=1
export PREFORKD_DEFAULTS SYSTEMCTL_SKIP_REDIRECT

# expect STATUS ACTION: run the init script, print its output, check its
# exit status; the output stays in $T/out. Its output goes to a file, not a
# pipe: a daemon that kept a pipe open would make the test wait on it.
expect() {
    _want=$1
    shift
    sh "$INIT" "$@" >"$T/out" 2>&1
    _rc=$?
    sed "s|^|    [$*] |" "$T/out"
    [ "$_rc" -eq "$_want" ] || fail "init script $*: exit status $_rc, expected $_want"
}

pidfile_pid() { cat "$PIDFILE" 2>/dev/null; }

# serving: the master's port answers GET /hello.txt with 200.
serving() {
    _port=$(t_port "$LOG")
    [ -n "$_port" ] || fail "no \"listening on\" line in $LOG"
    _code=$(t_get "$_port" /hello.txt)
    [ "$_code" = 200 ] || fail "GET /hello.txt on port $_port: status $_code, expected 200"
}

one_master() { # PID
    _m=$(t_masters "$CONF")
    [ "$_m" = "$1" ] || fail "masters running on $CONF: \"$(echo "$_m" | tr "\n" " ")\", expected only $1"
}

note "not started yet"
expect 3 status
expect 2 frobnicate
expect 7 reload

note "start"
expect 0 start
PID1=$(pidfile_pid)
[ -n "$PID1" ] && t_alive "$PID1" || fail "no running master in $PIDFILE after start"
serving
expect 0 status
grep -q "running as pid $PID1" "$T/out" || fail "status does not name pid $PID1"
one_master "$PID1"

note "start again: succeeds, starts nothing"
expect 0 start
grep -q "already running" "$T/out" || fail "a second start does not say the server is already running"
[ "$(pidfile_pid)" = "$PID1" ] || fail "the pidfile changed on a second start"
one_master "$PID1"

note "reload"
expect 0 reload
wait_until 10 t_in_file "$LOG" "reload: generation 2" || fail "no \"reload: generation 2\" in the error log"
serving
[ "$(pidfile_pid)" = "$PID1" ] || fail "reload changed the master"

note "reopen"
expect 0 reopen
wait_until 10 t_in_file "$LOG" "log reopened" || fail "no \"log reopened\" in the error log"

note "upgrade: a new master takes the socket over"
PORT=$(t_port "$LOG")
expect 0 upgrade
PIDU=$(pidfile_pid)
[ -n "$PIDU" ] && [ "$PIDU" != "$PID1" ] || fail "upgrade: pidfile holds \"$PIDU\", expected a new pid (was $PID1)"
wait_until 20 t_gone "$PID1" || fail "upgrade: the old master $PID1 is still running"
[ ! -e "$PIDFILE.oldbin" ] || fail "upgrade: $PIDFILE.oldbin left behind"
[ "$(t_get "$PORT" /hello.txt)" = 200 ] || fail "upgrade: GET on port $PORT failed"
one_master "$PIDU"

note "upgrade to a binary that cannot start: rolled back"
cp "$BUILT" "$T/bin/preforkd.good" || fail "cp"
cat >"$T/bin/preforkd.new" <<END
#!/bin/sh
# A build that cannot serve: it checks configurations and sends signals.
case " \$* " in *" -t "* | *" -s "*) exec "$T/bin/preforkd.good" "\$@" ;; esac
echo "preforkd: this build cannot start" >&2
exit 1
END
chmod 0755 "$T/bin/preforkd.new"
mv -f "$T/bin/preforkd.new" "$PREFORKD" || fail "mv"
expect 1 upgrade
[ "$(pidfile_pid)" = "$PIDU" ] || fail "failed upgrade: the pidfile holds $(pidfile_pid), expected $PIDU"
[ ! -e "$PIDFILE.oldbin" ] || fail "failed upgrade: $PIDFILE.oldbin left behind"
t_alive "$PIDU" || fail "failed upgrade: master $PIDU is gone"
serving
one_master "$PIDU"
mv -f "$T/bin/preforkd.good" "$PREFORKD" || fail "mv"

note "restart: a new master"
expect 0 restart
PID2=$(pidfile_pid)
[ -n "$PID2" ] && [ "$PID2" != "$PIDU" ] || fail "restart: pidfile holds \"$PID2\", expected a new pid (was $PIDU)"
t_alive "$PIDU" && fail "restart: the old master $PIDU is still running"
t_alive "$PID2" || fail "restart: the new master $PID2 is not running"
serving
one_master "$PID2"

note "a configuration with errors: restart and reload refuse, the server stays"
sed 's/start = 2;/start = 0;/' "$T/good.conf" >"$CONF"
expect 6 restart
grep -q "workers.start" "$T/out" || fail "restart does not print the configuration error"
expect 6 reload
grep -q "workers.start" "$T/out" || fail "reload does not print the configuration error"
expect 0 status
[ "$(pidfile_pid)" = "$PID2" ] || fail "the master changed although the configuration has errors"
serving
cp "$T/good.conf" "$CONF"

note "stop"
expect 0 stop
t_alive "$PID2" && fail "stop: master $PID2 is still running"
[ -z "$(t_masters "$CONF")" ] || fail "stop: preforkd processes left: $(t_pids_naming "$CONF" | tr '\n' ' ')"
expect 3 status
expect 0 stop
expect 7 reopen

note "stale pidfile"
sh -c 'exit 0' &
DEAD=$!
wait "$DEAD"
t_alive "$DEAD" && fail "pid $DEAD is alive"
echo "$DEAD" >"$PIDFILE"
expect 1 status
grep -q "$DEAD" "$T/out" || fail "status does not name the stale pid $DEAD"
expect 7 reload

note "a pidfile that holds no pid: status and stop say so"
for _text in garbage 0 "12 34"; do
    echo "$_text" >"$PIDFILE"
    expect 4 status
    grep -qF "holds no pid (\"$_text\")" "$T/out" || fail "status does not say $PIDFILE holds no pid"
    expect 1 stop
    grep -qF "holds no pid (\"$_text\")" "$T/out" || fail "stop does not say $PIDFILE holds no pid"
done
: >"$PIDFILE"
expect 4 status
grep -qF "holds no pid (empty)" "$T/out" || fail "status does not say $PIDFILE is empty"
echo "$DEAD" >"$PIDFILE"

note "start with a configuration with errors"
sed 's/start = 2;/start = 0;/' "$T/good.conf" >"$CONF"
sh "$INIT" start >"$T/out" 2>&1
RC=$?
sed 's|^|    [start] |' "$T/out"
[ "$RC" -ne 0 ] || fail "start with a bad configuration exited 0"
grep -q "workers.start" "$T/out" || fail "start does not print the configuration error"
[ -z "$(t_masters "$CONF")" ] || fail "a master runs on a bad configuration"
expect 1 status

note "start over a stale pidfile"
cp "$T/good.conf" "$CONF"
expect 0 start
PID3=$(pidfile_pid)
[ -n "$PID3" ] && [ "$PID3" != "$DEAD" ] && t_alive "$PID3" || fail "start over a stale pidfile: no new master"
serving
expect 0 stop
wait_until 10 t_gone "$PID3" || fail "master $PID3 still running after stop"

note "DAEMON a symbolic link to a versioned file: status knows the master by its title"
# Neither the master's argv[0] (its title is written over it) nor its exe
# (preforkd-9.9) bears DAEMON's name then.
mkdir "$T/sbin" || fail "mkdir"
cp "$BUILT" "$T/bin/preforkd-9.9" || fail "cp"
ln -s ../bin/preforkd-9.9 "$T/sbin/preforkd" || fail "ln"
PREFORKD=$T/sbin/preforkd
write_defaults yes
expect 0 start
PID4=$(pidfile_pid)
case $(t_cmdline "$PID4") in
"preforkd: master -d -c $CONF"*) ;;
*) fail "master $PID4 is titled \"$(t_cmdline "$PID4")\", expected \"preforkd: master -d -c $CONF\"" ;;
esac
expect 0 status
expect 0 stop
wait_until 10 t_gone "$PID4" || fail "master $PID4 still running after stop"

note "disabled"
write_defaults no
expect 0 start
grep -q "disabled" "$T/out" || fail "a disabled start does not say so"
expect 3 status

note "ok"
exit 0
