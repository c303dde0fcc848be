#!/usr/bin/env bash
# Builds dist/posterm_<version>_<arch>.deb for amd64, arm64 and armhf
# (ARMv7): posterm with cgo (mattn/go-sqlite3) cross-compiled by Debian's
# cross compilers, -trimpath, stripped (-s -w), the version stamped from
# git; then packaged by nfpmbuild (the nfpm library). Called by
# `make release`; `make cross-tools` installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:?usage: release.sh VERSION [ARCH...]}
shift
ARCHES=("$@")
[ ${#ARCHES[@]} -gt 0 ] || ARCHES=(amd64 arm64 armhf)
GO=${GO:-go}

mkdir -p dist
for arch in "${ARCHES[@]}"; do
	case $arch in
	amd64) goarch=amd64; goarm=;  cc=${CC_AMD64:-gcc} ;;
	arm64) goarch=arm64; goarm=;  cc=aarch64-linux-gnu-gcc ;;
	armhf) goarch=arm;   goarm=7; cc=arm-linux-gnueabihf-gcc ;;
	*) echo "release.sh: unknown arch $arch (amd64, arm64, armhf)" >&2; exit 1 ;;
	esac
	if ! command -v "$cc" >/dev/null; then
		echo "release.sh: $cc is missing: run make cross-tools (as root)" >&2
		exit 1
	fi
	out=dist/build/$arch
	mkdir -p "$out"
	echo "== $arch: $cc"
	CGO_ENABLED=1 CC=$cc GOOS=linux GOARCH=$goarch GOARM=$goarm \
		"$GO" build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$out/posterm" .
	(cd packaging && "$GO" run . --arch "$arch" --version "$VERSION" --bin "../$out/posterm" --out ../dist)
done
