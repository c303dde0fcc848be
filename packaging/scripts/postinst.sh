#!/bin/sh
# posterm postinst: modes of the data directories, an empty secret file for
# the engineer to fill, udev and systemd told about the new files, and the
# register and the nightly backup enabled for the next boot. Nothing is
# started now: the engineer puts the secret in place and runs
# `sudo -u posterm posterm doctor` first, then reboots.
# POSTERM_DRYRUN=1 prints the commands instead of running them.
set -e
run() { if [ -n "$POSTERM_DRYRUN" ]; then echo "$*"; else "$@"; fi; }

case "$1" in
configure|"")
	run chown posterm:posterm /var/lib/posterm /var/log/posterm
	run chmod 0700 /var/lib/posterm
	run chmod 0750 /var/log/posterm
	if [ ! -e /etc/posterm/secret ] || [ -n "$POSTERM_DRYRUN" ]; then
		run install -m 0640 -o root -g posterm /dev/null /etc/posterm/secret
	fi
	if [ -d /run/systemd/system ] || [ -n "$POSTERM_DRYRUN" ]; then
		run systemctl daemon-reload || true
	fi
	if command -v udevadm >/dev/null 2>&1 || [ -n "$POSTERM_DRYRUN" ]; then
		run udevadm control --reload-rules || true
		run udevadm trigger --action=add --subsystem-match=tty --subsystem-match=usbmisc --subsystem-match=input || true
	fi
	# Enabling only creates the links: it works without a running systemd.
	run systemctl enable posterm.service posterm-backup.timer || true
	;;
esac
exit 0
