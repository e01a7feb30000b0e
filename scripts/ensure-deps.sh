#!/usr/bin/env bash
# Installs the system packages the test suite needs when they are missing.
# Usage: scripts/ensure-deps.sh CMD:PACKAGE [CMD:PACKAGE ...]
# A CMD is a program looked up on PATH, or an absolute path that must exist.
set -euo pipefail

missing=()
for spec in "$@"; do
	cmd=${spec%%:*}
	pkg=${spec#*:}
	if [[ $cmd == /* ]]; then
		[[ -e $cmd ]] && continue
	else
		command -v "$cmd" >/dev/null 2>&1 && continue
	fi
	missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

# de-duplicate
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "ensure-deps: installing missing packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO=sudo
	else
		echo "ensure-deps: these Debian packages are needed: ${missing[*]}" >&2
		echo "ensure-deps: run as root, or install them first: sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
