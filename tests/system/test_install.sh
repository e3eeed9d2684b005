#!/bin/sh
# test_install: cmake --install of the build tree into a temporary prefix:
# every file in its place with its mode, the rendered files naming that
# prefix, the start page of the installed site naming documentation that
# is installed, the man pages rendering without warnings (when groff is there),
# the installed configuration passing preforkd -t, the installed init
# script answering status, the units passing systemd-analyze verify (when
# it is there), an edited configuration kept on reinstall; then a staged
# installation for prefix /usr (DESTDIR), which must name /etc, /var and
# /run.
#
#   sh test_install.sh CMAKE BUILD_DIR
set -u
. "${0%/*}/lib.sh"

[ $# -eq 2 ] || { echo "usage: sh $0 CMAKE BUILD_DIR" >&2; exit 2; }
CMAKE=$1
BUILD=$2
t_setup
P=$T/prefix

install_to() { # PREFIX [DESTDIR]
    DESTDIR=${2:-} "$CMAKE" --install "$BUILD" --prefix "$1" >"$T/install.log" 2>&1 ||
        fail "cmake --install --prefix $1 failed"
}

# has MODE PATH: a regular file (or, for MODE d..., a folder) with that mode.
has() {
    case $1 in
    d*)
        [ -d "$2" ] || fail "missing folder $2"
        _want=${1#d}
        ;;
    *)
        [ -f "$2" ] || fail "missing file $2"
        _want=$1
        ;;
    esac
    _mode=$(stat -c %a "$2")
    [ "$_mode" = "$_want" ] || fail "$2: mode $_mode, expected $_want"
}

absent() { [ ! -e "$1" ] || fail "$1 should not be installed"; }

names() { # FILE TEXT
    grep -qF -- "$2" "$1" || fail "$1 does not contain: $2"
}

note "cmake --install --prefix $P"
install_to "$P"
has 755 "$P/sbin/preforkd"
has 755 "$P/sbin/preforkctl"
absent "$P/bin/preforkctl"
if [ -x "$BUILD/tools/preforkbench/preforkbench" ]; then
    has 755 "$P/bin/preforkbench"
    has 644 "$P/share/man/man1/preforkbench.1"
fi
has 644 "$P/etc/preforkd/preforkd.conf"
absent "$P/etc/preforkd/www"
has 644 "$P/etc/default/preforkd"
has 755 "$P/etc/init.d/preforkd"
has 644 "$P/etc/logrotate.d/preforkd"
has 644 "$P/lib/systemd/system/preforkd.service"
has 644 "$P/lib/systemd/system/preforkd.socket"
has 644 "$P/share/man/man8/preforkd.8"
has 644 "$P/share/man/man8/preforkctl.8"
has 644 "$P/share/man/man5/preforkd.conf.5"
absent "$P/share/man/man1/preforkctl.1"
has 644 "$P/share/preforkd/www/index.html"
has d755 "$P/var/log/preforkd"
has d700 "$P/var/lib/preforkd"
has d755 "$P/var/run/preforkd"

note "the installed start page names documentation where it is installed"
SITE=$P/share/preforkd/www/index.html
names "$SITE" "<code>share/doc/preforkd/</code>"
has d755 "$P/share/doc/preforkd"
_docs=$(sed -n 's/.*<code>\([a-z-]*\.md\)<\/code>.*/\1/p' "$SITE")
[ -n "$_docs" ] || fail "$SITE names no documentation file"
for _doc in $_docs; do
    has 644 "$P/share/doc/preforkd/$_doc"
done
names "$SITE" "<code>man preforkd.conf</code>"
has 644 "$P/share/man/man5/preforkd.conf.5"
if grep -n "docs/[a-z-]*\.md" "$SITE"; then
    fail "$SITE names a docs/ path: the documentation is installed in share/doc/preforkd"
fi

note "rendered files name the prefix"
RENDERED="$P/etc/preforkd/preforkd.conf $P/etc/default/preforkd $P/etc/init.d/preforkd
$P/etc/logrotate.d/preforkd $P/lib/systemd/system/preforkd.service $P/lib/systemd/system/preforkd.socket"
for f in $RENDERED; do
    if grep -n '@[A-Z_]*@' "$f"; then
        fail "$f: placeholders left"
    fi
done
names "$P/etc/preforkd/preforkd.conf" "root = \"$P/share/preforkd/www\";"
names "$P/etc/preforkd/preforkd.conf" "error_log = \"$P/var/log/preforkd/error.log\";"
names "$P/etc/preforkd/preforkd.conf" "access_log = \"$P/var/log/preforkd/access.log\";"
names "$P/etc/preforkd/preforkd.conf" "pidfile = \"$P/var/run/preforkd/preforkd.pid\";"
names "$P/etc/preforkd/preforkd.conf" "token_file = \"$P/var/lib/preforkd/preforkd.token\";"
names "$P/etc/default/preforkd" "DAEMON=$P/sbin/preforkd"
names "$P/etc/default/preforkd" "CONF=$P/etc/preforkd/preforkd.conf"
names "$P/etc/default/preforkd" "PIDFILE=$P/var/run/preforkd/preforkd.pid"
names "$P/etc/init.d/preforkd" "DEFAULTS=\${PREFORKD_DEFAULTS:-$P/etc/default/preforkd}"
names "$P/etc/logrotate.d/preforkd" "$P/var/log/preforkd/*.log {"
names "$P/etc/logrotate.d/preforkd" "$P/sbin/preforkd -c $P/etc/preforkd/preforkd.conf -s reopen"
names "$P/lib/systemd/system/preforkd.service" "ExecStart=$P/sbin/preforkd -f -c $P/etc/preforkd/preforkd.conf"
names "$P/lib/systemd/system/preforkd.service" "ReadWritePaths=$P/var/log/preforkd"

note "shell syntax of the init script"
sh -n "$P/etc/init.d/preforkd" || fail "sh -n $P/etc/init.d/preforkd"
head -n 1 "$P/etc/init.d/preforkd" | grep -qx '#!/bin/sh' || fail "the init script does not start with #!/bin/sh"
names "$P/etc/init.d/preforkd" "### BEGIN INIT INFO"

if command -v groff >/dev/null 2>&1; then
    note "man pages render without warnings"
    for m in "$P"/share/man/man*/*; do
        _w=$(groff -man -Tutf8 -ww -z "$m" 2>&1)
        [ -z "$_w" ] || fail "groff warns about $m: $_w"
    done
else
    note "groff is not installed: man pages not rendered"
fi

note "the installed configuration passes preforkd -t"
if getent passwd www-data >/dev/null 2>&1 && getent group www-data >/dev/null 2>&1; then
    OUT=$("$P/sbin/preforkd" -t -c "$P/etc/preforkd/preforkd.conf" 2>&1) ||
        fail "preforkd -t on the installed configuration: $OUT"
    case $OUT in
    *"syntax ok"*) ;;
    *) fail "preforkd -t said: $OUT" ;;
    esac
else
    note "no www-data user or group here: preforkd -t not run on the installed configuration"
fi

note "the installed programs default to the prefix's configuration"
# Before, they kept the configured prefix's (/usr/local/etc/...): the
# install prefix is given after the build, so they find it at run time.
CONF=$P/etc/preforkd/preforkd.conf
"$P/sbin/preforkd" -h >"$T/out" 2>&1 || fail "preforkd -h failed"
names "$T/out" "(default $CONF)"
"$P/sbin/preforkctl" -h >"$T/out" 2>&1 || fail "preforkctl -h failed"
names "$T/out" "(default $CONF)"
"$P/sbin/preforkd" -t >"$T/out" 2>&1
RC=$?
if getent passwd www-data >/dev/null 2>&1 && getent group www-data >/dev/null 2>&1; then
    [ "$RC" -eq 0 ] || { cat "$T/out"; fail "$P/sbin/preforkd -t (no -c): exit $RC"; }
    names "$T/out" "preforkd: $CONF: syntax ok"
else
    # no www-data here: the check fails, on the prefix's file
    names "$T/out" "preforkd: $CONF:"
fi
# preforkctl reads the same file for the control address and the token
# file, which is in the prefix and not created yet (no server ran)
"$P/sbin/preforkctl" status >"$T/out" 2>&1 && fail "preforkctl status without a server succeeded"
names "$T/out" "$P/var/lib/preforkd/preforkd.token"

note "the installed init script finds its defaults"
unset PREFORKD_DEFAULTS
SYSTEMCTL_SKIP_REDIRECT=1 sh "$P/etc/init.d/preforkd" status >"$T/out" 2>&1
RC=$?
[ "$RC" -eq 3 ] || { cat "$T/out"; fail "installed init script status: $RC, expected 3"; }

if command -v systemd-analyze >/dev/null 2>&1; then
    # It also looks the Documentation= man pages up: in the prefix, with man.
    if command -v man >/dev/null 2>&1; then
        note "systemd-analyze verify (man pages looked up in the prefix)"
        VERIFY="env MANPATH=$P/share/man systemd-analyze verify"
    else
        note "systemd-analyze verify (no man here: --man=no)"
        VERIFY="systemd-analyze verify --man=no"
    fi
    $VERIFY "$P/lib/systemd/system/preforkd.service" \
        "$P/lib/systemd/system/preforkd.socket" >"$T/verify.out" 2>&1 ||
        { cat "$T/verify.out"; fail "systemd-analyze verify failed"; }
    if [ -s "$T/verify.out" ]; then
        cat "$T/verify.out"
        fail "systemd-analyze verify warns"
    fi
else
    note "systemd-analyze is not installed: units not verified"
fi

note "reinstall: an edited configuration is kept, the new one goes beside it"
echo "# edited by the administrator" >>"$P/etc/preforkd/preforkd.conf"
install_to "$P"
tail -n 1 "$P/etc/preforkd/preforkd.conf" | grep -q "edited by the administrator" ||
    fail "reinstall overwrote an edited configuration"
has 644 "$P/etc/preforkd/preforkd.conf.dist"
absent "$P/etc/default/preforkd.dist"

note "DESTDIR staging for prefix /usr"
D=$T/dest
install_to /usr "$D"
has 755 "$D/usr/sbin/preforkd"
has 644 "$D/etc/preforkd/preforkd.conf"
has 755 "$D/etc/init.d/preforkd"
has 644 "$D/usr/lib/systemd/system/preforkd.service"
has d755 "$D/var/log/preforkd"
absent "$D/run"
names "$D/etc/preforkd/preforkd.conf" 'error_log = "/var/log/preforkd/error.log";'
names "$D/etc/preforkd/preforkd.conf" 'pidfile = "/run/preforkd/preforkd.pid";'
names "$D/etc/preforkd/preforkd.conf" 'root = "/usr/share/preforkd/www";'
names "$D/etc/default/preforkd" "DAEMON=/usr/sbin/preforkd"
names "$D/usr/lib/systemd/system/preforkd.service" "ExecStart=/usr/sbin/preforkd -f -c /etc/preforkd/preforkd.conf"
names "$D/usr/lib/systemd/system/preforkd.service" "RuntimeDirectory=preforkd"
names "$D/usr/lib/systemd/system/preforkd.service" "LogsDirectory=preforkd"
names "$D/usr/lib/systemd/system/preforkd.service" "StateDirectory=preforkd"
if grep -rl "$D" "$D/etc" "$D/usr/lib/systemd"; then
    fail "DESTDIR leaked into installed files"
fi

note "ok"
exit 0
