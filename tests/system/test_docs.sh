#!/bin/sh
# test_docs: what the documentation quotes of the shipped files is true.
#  - the README's example of a configuration error is what preforkd -t
#    says of the shipped etc/preforkd.conf with that error (its line);
#  - the About page of the shipped site lists every signal the README's
#    signal table lists;
#  - the start page names only documentation files that exist;
#  - in a git checkout, the files the shipped configuration writes beside
#    itself (the token file, the pidfile) are ignored by git, so that
#    running the README's first command leaves `git status` clean.
#
#   sh test_docs.sh PREFORKD SOURCE_DIR
set -u
. "${0%/*}/lib.sh"

[ $# -eq 2 ] || { echo "usage: sh $0 PREFORKD SOURCE_DIR" >&2; exit 2; }
PREFORKD=$1
SRC=$2
t_setup

note "the README's example error is preforkd's, line included"
# shellcheck disable=SC2016 # the backquotes are the README's, not the shell's
QUOTED=$(tr '\n' ' ' <"$SRC/README.md" | sed -n 's/.*`\(preforkd: etc\/preforkd\.conf:[0-9]*: workers\.start: [^`]*\)`.*/\1/p')
[ -n "$QUOTED" ] || fail "README.md quotes no error of etc/preforkd.conf on workers.start"
mkdir "$T/etc" || fail "mkdir"
# workers.start one above workers.max, the error the README quotes
sed 's/^\( *start = \)[0-9]*;/\165;/' "$SRC/etc/preforkd.conf" >"$T/etc/preforkd.conf"
(cd "$T" && "$PREFORKD" -t -c etc/preforkd.conf) >"$T/out" 2>&1 && fail "preforkd -t accepted workers.start = 65"
SAID=$(cat "$T/out")
[ "$SAID" = "$QUOTED" ] || fail "README.md quotes \"$QUOTED\"; preforkd says \"$SAID\""

note "the About page lists the README's signals"
ABOUT=$SRC/etc/www/about/index.html
SIGNALS=$(sed -n '/^| signal /,/^$/p' "$SRC/README.md" |
    sed -n 's/^| \([A-Z0-9][A-Z0-9, /]*\) |.*/\1/p' | tr ',/' '  ')
[ -n "$SIGNALS" ] || fail "no signal table in README.md"
for _sig in $SIGNALS; do
    grep -Eq "<tr><td>([^<]*[ ,/])?$_sig([ ,/][^<]*)?</td>" "$ABOUT" ||
        fail "the About page ($ABOUT) does not list SIG$_sig"
done

note "the start page names documentation that exists"
DOCS=$(sed -n 's/.*<code>\([a-z-]*\.md\)<\/code>.*/\1/p' "$SRC/etc/www/index.html")
[ -n "$DOCS" ] || fail "etc/www/index.html names no documentation file"
for _doc in $DOCS; do
    [ -f "$SRC/docs/$_doc" ] || fail "etc/www/index.html names $_doc, not in docs/"
done
grep -q "<code>docs/[a-z-]*\.md</code>" "$SRC/etc/www/index.html" &&
    fail "etc/www/index.html names a docs/ path, which the installed site cannot have"

note "git ignores what the shipped configuration writes beside itself"
if command -v git >/dev/null 2>&1 && git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    WRITES=$(sed -n 's/^ *\(pidfile\|token_file\) = "\([^/"][^"]*\)";.*/\2/p' "$SRC/etc/preforkd.conf")
    [ -n "$WRITES" ] || fail "etc/preforkd.conf sets no relative pidfile or token_file"
    for _f in $WRITES; do
        git -C "$SRC" check-ignore -q "etc/$_f" || fail "git does not ignore etc/$_f (.gitignore)"
    done
else
    note "not a git checkout: .gitignore not checked"
fi

note "ok"
exit 0
