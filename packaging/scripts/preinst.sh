#!/bin/sh
# posterm preinst: the system user and group exist before the files that
# belong to them are unpacked. POSTERM_DRYRUN=1 prints the commands instead
# of running them (the package tests use it).
set -e
run() { if [ -n "$POSTERM_DRYRUN" ]; then echo "$*"; else "$@"; fi; }

case "$1" in
install|upgrade)
	if ! getent group posterm >/dev/null || [ -n "$POSTERM_DRYRUN" ]; then
		run groupadd --system posterm
	fi
	if ! getent passwd posterm >/dev/null || [ -n "$POSTERM_DRYRUN" ]; then
		run useradd --system --gid posterm --home-dir /var/lib/posterm --no-create-home \
			--shell /usr/sbin/nologin --comment "posterm cashier register" posterm
	fi
	# dialout: serial scanners and printers; lp: USB printers (/dev/usb/lp*);
	# input: USB HID scanners read through evdev.
	for g in dialout lp input; do
		if getent group "$g" >/dev/null || [ -n "$POSTERM_DRYRUN" ]; then
			run usermod --append --groups "$g" posterm
		fi
	done
	;;
esac
exit 0
