#!/bin/sh
# Install what building and testing preforkd needs on Debian/Ubuntu, and
# only what is missing: a machine that has everything is left untouched
# (no apt-get run at all). Used by the README's commands and by .ci/run.
#
#   sh tools/deps.sh            build and test dependencies
#   PF_DEPS_EXTRA="clang" sh tools/deps.sh   ...plus extra packages
#   (.ci/run: "valgrind"; "clang libclang-rt-14-dev" for tests/fuzz)
set -eu

# logrotate and groff-base: the system tests (tests/system) run logrotate on the
# shipped file and check that the man pages render without warnings.
# haproxy: test_fleet runs three instances behind it.
# libsystemd-dev, php-cgi, libfcgi-bin: the C and PHP examples of exec
# workers (examples/), tested with a real FastCGI client (cgi-fcgi).
# chromium, chromium-driver, python3-selenium: the status page tested in a
# real browser (tests/system/test_status_page.sh).
packages="gcc make cmake pkg-config libconfig-dev libcmocka-dev libjansson-dev libsystemd-dev curl python3 php-cgi libfcgi-bin logrotate groff-base haproxy chromium chromium-driver python3-selenium ${PF_DEPS_EXTRA:-}"

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "preforkd deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "preforkd deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
