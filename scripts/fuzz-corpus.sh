#!/bin/sh
# fuzz-corpus.sh keeps the inputs a fuzz run found interesting as seeds:
# it copies them from Go's fuzz cache
# ($(go env GOCACHE)/fuzz/IMPORT/NAME/) into DIR/testdata/fuzz/NAME/, where
# go test replays them on every run.
#
#   scripts/fuzz-corpus.sh [-since FILE] IMPORT DIR NAME
#
# IMPORT is the package's import path, DIR its directory, NAME the fuzz
# target. Only the FUZZKEEP (default 20) smallest cache inputs are
# considered, ties broken by file name (the cache names each input by a
# hash of its content, so names are stable); with -since only inputs the
# cache got after FILE was written, i.e. during this fuzz run. Inputs of
# more than FUZZMAXSIZE bytes (default 4096) and directories already
# holding FUZZMAXFILES seeds (default 200) get nothing more. A seed is
# never removed or rewritten, so the failing inputs go test writes into
# the same directory stay, and running the script again copies nothing
# new.
set -eu

keep=${FUZZKEEP:-20}
maxsize=${FUZZMAXSIZE:-4096}
maxfiles=${FUZZMAXFILES:-200}
since=
if [ "${1:-}" = -since ]; then
	since=$2
	shift 2
fi
if [ $# -ne 3 ]; then
	echo "usage: $0 [-since FILE] IMPORT DIR NAME" >&2
	exit 2
fi
import=$1 dir=$2 name=$3
cache=$(${GO:-go} env GOCACHE)/fuzz/$import/$name
dest=$dir/testdata/fuzz/$name
[ -d "$cache" ] || exit 0

# The candidates: "SIZE NAME" of the inputs, smallest first.
list=$(mktemp)
trap 'rm -f "$list"' EXIT
if [ -n "$since" ]; then
	find "$cache" -maxdepth 1 -type f -newer "$since" -size -"$((maxsize + 1))"c -printf '%s %f\n'
else
	find "$cache" -maxdepth 1 -type f -size -"$((maxsize + 1))"c -printf '%s %f\n'
fi | LC_ALL=C sort -k1,1n -k2,2 | head -n "$keep" >"$list"

added=0
while read -r _ file; do
	[ -e "$dest/$file" ] && continue
	head -n 1 "$cache/$file" | grep -qx 'go test fuzz v1' || continue
	mkdir -p "$dest"
	if [ "$(find "$dest" -maxdepth 1 -type f | wc -l)" -ge "$maxfiles" ]; then
		echo "fuzz corpus: $dest holds $maxfiles seeds already; nothing more added" >&2
		break
	fi
	# An input already kept under another name (a failing input go test
	# wrote, a seed named by hand) is not copied twice.
	dup=
	for f in "$dest"/*; do
		if [ -f "$f" ] && cmp -s "$f" "$cache/$file"; then
			dup=1
			break
		fi
	done
	[ -n "$dup" ] && continue
	cp "$cache/$file" "$dest/.$file.tmp"
	mv "$dest/.$file.tmp" "$dest/$file"
	added=$((added + 1))
done <"$list"
if [ "$added" -gt 0 ]; then
	echo "fuzz corpus: $added new seeds in $dest"
fi
