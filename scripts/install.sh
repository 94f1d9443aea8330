#!/usr/bin/env bash
# make install / make uninstall (see the Makefile and docs/stages.md).
#
#   scripts/install.sh install   BIN_DIR DEST   # DEST = $(DESTDIR)$(PREFIX)
#   scripts/install.sh uninstall DEST
#
# install copies roma, the OpenCV shim it loads on demand, one man page per
# subcommand (generated from roma's own help by swift-argument-parser's
# generate-manual) and bash/zsh/fish completions (roma --generate-completion-script),
# and records every file it wrote in DEST/lib/roma-swift/installed-files.txt.
# uninstall removes exactly the files listed there, the list itself and, when empty,
# DEST/lib/roma-swift (the one folder that is ours; bin/, share/man/… stay).
set -euo pipefail

manifest_of() { echo "$1/lib/roma-swift/installed-files.txt"; }

install_files() {
    local bin="$1" dest="$2"
    local roma="$bin/roma" shim="$bin/libRomaOpenCV.so" manual="$bin/generate-manual"
    for f in "$roma" "$shim" "$manual"; do
        [ -x "$f" ] || { echo "install: $f is missing; run make build first" >&2; exit 1; }
    done
    staging="$(mktemp -d)"  # global: the EXIT trap runs after this function returns
    trap 'rm -rf "$staging"' EXIT
    # Everything is generated first, so a failure installs nothing.
    mkdir -p "$staging/man"
    "$manual" "$roma" --multi-page --date "$(date -u -r "$roma" +%Y-%m-%d)" -o "$staging/man" >/dev/null
    "$roma" --generate-completion-script bash > "$staging/roma.bash"
    "$roma" --generate-completion-script zsh > "$staging/_roma"
    "$roma" --generate-completion-script fish > "$staging/roma.fish"

    local manifest list=()
    manifest="$(manifest_of "$dest")"
    put() {  # mode source target
        install -D -m "$1" "$2" "$3"
        list+=("$3")
    }
    put 755 "$roma" "$dest/bin/roma"
    put 644 "$shim" "$dest/lib/roma-swift/libRomaOpenCV.so"
    for page in "$staging"/man/*.1; do
        put 644 "$page" "$dest/share/man/man1/$(basename "$page")"
    done
    put 644 "$staging/roma.bash" "$dest/share/bash-completion/completions/roma"
    put 644 "$staging/_roma" "$dest/share/zsh/site-functions/_roma"
    put 644 "$staging/roma.fish" "$dest/share/fish/vendor_completions.d/roma.fish"
    printf '%s\n' "${list[@]}" > "$manifest"
    echo "installed ${#list[@]} files under $dest (list: $manifest)"
}

uninstall_files() {
    local dest="$1" manifest
    manifest="$(manifest_of "$dest")"
    [ -f "$manifest" ] || { echo "uninstall: nothing to do ($manifest not found)"; return 0; }
    local count=0
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        rm -f -- "$f"
        count=$((count + 1))
    done < "$manifest"
    rm -f -- "$manifest"
    rmdir -- "$(dirname "$manifest")" 2>/dev/null || true
    echo "removed $count files under $dest"
}

case "${1:-}" in
    install) install_files "$2" "$3" ;;
    uninstall) uninstall_files "$2" ;;
    *) echo "usage: $0 install BIN_DIR DEST | uninstall DEST" >&2; exit 64 ;;
esac
