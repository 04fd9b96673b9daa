#!/bin/sh
# Remove what install.sh put in place for the current user. Touches only tryon-desktop's own paths.
set -eu

DATA=${XDG_DATA_HOME:-$HOME/.local/share}
DEST="$DATA/tryon-desktop/app"
BIN="$HOME/.local/bin"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"

# The command link goes only if it is ours (points into the app folder).
if [ -L "$BIN/tryon-desktop" ]; then
    case "$(readlink "$BIN/tryon-desktop")" in
        "$DEST"/*) rm -f "$BIN/tryon-desktop" ;;
        *) echo "uninstall.sh: leaving $BIN/tryon-desktop, it points elsewhere" >&2 ;;
    esac
fi
rm -f "$APPS/tryon-desktop.desktop" "$ICONS/256x256/apps/tryon-desktop.png" "$ICONS/scalable/apps/tryon-desktop.svg"
rm -rf "$DEST"
rmdir "$DATA/tryon-desktop" 2>/dev/null || true

command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" || true
# Refresh the icon cache only where one exists already (a new stale cache would hide later icons).
if [ -f "$ICONS/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
fi
echo "tryon-desktop removed (your settings, snapshots and recordings are kept)."
