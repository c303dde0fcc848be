#!/bin/sh
# posterm postrm: the journal, its backups and the logs are the shop's
# records: they are kept even on purge (remove them by hand). Purge removes
# the secret; dpkg removes the conffile. POSTERM_DRYRUN=1 prints the commands.
set -e
run() { if [ -n "$POSTERM_DRYRUN" ]; then echo "$*"; else "$@"; fi; }

case "$1" in
purge)
	run rm -f /etc/posterm/secret
	;;
esac
if [ -d /run/systemd/system ] || [ -n "$POSTERM_DRYRUN" ]; then
	run systemctl daemon-reload || true
fi
exit 0
