#!/bin/sh
# Format the C sources with clang-format and the style in .clang-format,
# or check that they are formatted (what CI runs).
#
#   sh tools/format.sh            format every tracked .c and .h in place
#   sh tools/format.sh --check    list the files clang-format would change; exit 1 if any
#   sh tools/format.sh FILE...    format only these
#
# tests/unit/http_vectors.h is generated (tools/gen_http_vectors.py) and
# left as the generator writes it.
set -eu
cd "$(dirname "$0")/.."

if ! command -v clang-format >/dev/null 2>&1; then
    echo "format.sh: clang-format is missing (apt-get install clang-format)" >&2
    exit 2
fi
check=false
if [ "${1:-}" = "--check" ]; then
    check=true
    shift
fi
if [ "$#" -eq 0 ]; then
    # shellcheck disable=SC2046 # word splitting is meant: tracked names have no blanks
    set -- $(git ls-files '*.c' '*.h' | grep -v '^tests/unit/http_vectors\.h$')
fi
if ! $check; then
    clang-format -i "$@"
    exit 0
fi
bad=0
for f in "$@"; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (sh tools/format.sh $f)"
        bad=1
    fi
done
[ "$bad" -eq 0 ] && echo "format: $# files formatted as .clang-format says"
exit "$bad"
