#!/bin/sh
# Install tryon-desktop for the current user: the app folder under ~/.local/share/tryon-desktop, a
# `tryon-desktop` command in ~/.local/bin, a menu entry and icons. No root needed. Run it from the
# unpacked archive; run ~/.local/share/tryon-desktop/app/uninstall.sh (or this folder's) to undo.
set -eu

SRC=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
DEST="$DATA/tryon-desktop/app"
BIN="$HOME/.local/bin"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"

if [ ! -x "$SRC/tryon-desktop" ] || [ ! -d "$SRC/_internal" ]; then
    echo "install.sh: run me from the unpacked tryon-desktop folder (no tryon-desktop program beside me)" >&2
    exit 1
fi

# Replace an earlier install whole, so no stale library of an older version lingers.
if [ "$SRC" != "$DEST" ]; then
    mkdir -p "$DATA/tryon-desktop"
    rm -rf "$DEST.new"
    cp -a "$SRC" "$DEST.new"
    rm -rf "$DEST"
    mv "$DEST.new" "$DEST"
fi

mkdir -p "$BIN" "$APPS" "$ICONS/256x256/apps" "$ICONS/scalable/apps"
ln -sfn "$DEST/tryon-desktop" "$BIN/tryon-desktop"
cp "$DEST/tryon-desktop.png" "$ICONS/256x256/apps/tryon-desktop.png"
cp "$DEST/tryon-desktop.svg" "$ICONS/scalable/apps/tryon-desktop.svg"
# Absolute path in Exec: ~/.local/bin is not on every desktop session's PATH.
sed "s|@EXEC@|$DEST/tryon-desktop|g" "$DEST/tryon-desktop.desktop" > "$APPS/tryon-desktop.desktop.tmp"
mv "$APPS/tryon-desktop.desktop.tmp" "$APPS/tryon-desktop.desktop"
chmod 644 "$APPS/tryon-desktop.desktop"

command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" || true
# Refresh the icon cache only where one exists already (a new stale cache would hide later icons).
if [ -f "$ICONS/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
fi

echo "tryon-desktop $(cat "$DEST/VERSION" 2>/dev/null || echo '') installed:"
echo "  app      $DEST"
echo "  command  $BIN/tryon-desktop"
echo "  menu     $APPS/tryon-desktop.desktop"
case ":$PATH:" in
    *":$BIN:"*) ;;
    *) echo "  note: $BIN is not on your PATH; the menu entry works regardless." ;;
esac
echo "Check it: tryon-desktop --self-test    Remove it: $DEST/uninstall.sh"
