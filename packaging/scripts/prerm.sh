#!/bin/sh
# posterm prerm: on removal, stop and disable the units (an upgrade keeps
# them; the register restarts on the new binary at the next boot or
# `systemctl restart posterm`). POSTERM_DRYRUN=1 prints the commands.
set -e
run() { if [ -n "$POSTERM_DRYRUN" ]; then echo "$*"; else "$@"; fi; }

case "$1" in
remove)
	if [ -d /run/systemd/system ] || [ -n "$POSTERM_DRYRUN" ]; then
		run systemctl stop posterm.service posterm-reconcile.service posterm-backup.timer || true
	fi
	run systemctl disable posterm.service posterm-reconcile.service posterm-backup.timer || true
	;;
esac
exit 0
