#!/usr/bin/env bash
# make test-install: `make install` into a temporary PREFIX installs exactly the
# expected files, the installed roma runs (including a stage that loads OpenCV from
# the installed lib folder), and `make uninstall` removes exactly those files.
set -euo pipefail
cd "$(dirname "$0")/.."
make="${MAKE:-make}"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix" "${expected:-}" "${actual:-}"' EXIT
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }

# A file of someone else's in the same tree must survive uninstall.
mkdir -p "$prefix/bin" "$prefix/share/man/man1"
echo keep > "$prefix/bin/other-tool"
echo keep > "$prefix/share/man/man1/other-tool.1"

"$make" --no-print-directory install PREFIX="$prefix" >/dev/null

# The expected list, derived independently of the installer: one page per command
# path roma's help lists (roma, each subcommand, nested ones such as evaluate score),
# plus roma.help, the help command swift-argument-parser adds.
roma="$prefix/bin/roma"
pages() {  # page-name [subcommand words…]
    local name="$1"; shift
    echo "share/man/man1/$name.1"
    local sub
    for sub in $("$roma" help "$@" | sed -n '/^SUBCOMMANDS:/,/^$/p' | grep -E '^  [a-z]' | awk '{print $1}'); do
        pages "$name.$sub" "$@" "$sub"
    done
}
expected="$(mktemp)"
{
    echo bin/other-tool
    echo bin/roma
    echo lib/roma-swift/installed-files.txt
    echo lib/roma-swift/libRomaOpenCV.so
    echo share/bash-completion/completions/roma
    echo share/fish/vendor_completions.d/roma.fish
    echo share/man/man1/other-tool.1
    echo share/man/man1/roma.help.1
    echo share/zsh/site-functions/_roma
    pages roma
} | sort > "$expected"
actual="$(mktemp)"
(cd "$prefix" && find . -type f | sed 's|^\./||' | sort) > "$actual"
diff -u "$expected" "$actual" || fail "installed files differ from the expected list (- expected, + installed)"

# The installed tool works from its own layout: sift needs the OpenCV shim from lib/roma-swift.
"$roma" --version >/dev/null || fail "installed roma does not run"
out="$(mktemp -d)"
"$roma" decode Tests/Fixtures/decode/small.png -o "$out/a.safetensors" --coarse 56 --upsampled none >/dev/null \
    || fail "installed roma cannot decode (OpenCV shim not found?)"
grep -q "roma estimate" "$prefix/share/man/man1/roma.estimate.1" || fail "man page roma.estimate.1 does not describe roma estimate"
grep -q "_roma" "$prefix/share/zsh/site-functions/_roma" || fail "zsh completion looks wrong"
rm -rf "$out"

"$make" --no-print-directory uninstall PREFIX="$prefix" >/dev/null
left="$(cd "$prefix" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')"
[ "$left" = "bin/other-tool share/man/man1/other-tool.1 " ] || fail "after uninstall, files left: $left"
[ ! -e "$prefix/lib/roma-swift" ] || fail "lib/roma-swift is still there after uninstall"
echo "test-install: ok ($(wc -l < "$expected") files installed and removed under a temporary PREFIX)"
