#!/usr/bin/env bash
# Builds storeedge's release artefacts into a directory (dist/ by default):
#
#   storeedge_VERSION_linux_amd64.tar.gz   binary, README, configs, unit
#   storeedge_VERSION_linux_arm64.tar.gz
#   storeedge_VERSION_windows_amd64.tar.gz storeedge.exe, README, configs
#   storeedge_DEBVERSION_amd64.deb         the Debian package
#   storeedge_DEBVERSION_arm64.deb
#   storeedge_VERSION_windows_amd64_installer.exe   the NSIS installer
#   SHA256SUMS
#
# Usage: packaging/build.sh [OUTDIR]
# Environment: VERSION, COMMIT, DATE (as `storeedge version` prints them;
# from git when unset), GO (go), DEB_MAINTAINER, SOURCE_DATE_EPOCH,
# CGO_LINUX_AMD64 (1). PACKAGE_PRINT_VERSIONS=1 prints the Debian and
# Windows versions made of VERSION and stops.
#
# linux/amd64 is built with cgo (CGO_LINUX_AMD64=1, the default), so it
# prints to USB printers through libusb; its package depends on the C
# libraries dpkg-shlibdeps finds. linux/arm64 and windows/amd64 are built
# without cgo (no cross compiler needed): static programs with no USB
# transport (Windows prints to USB printers through the spooler).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/dist}
GO=${GO:-go}
VERSION=${VERSION:-$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)}

die() { echo "package: $*" >&2; exit 1; }
[[ $VERSION =~ ^[A-Za-z0-9][A-Za-z0-9.+~-]*$ ]] || die "version \"$VERSION\" holds characters a file name or package version cannot"

# deb_version VERSION: a Debian version that sorts like the release:
# v1.2.3 -> 1.2.3, v1.2.3-4-gabc1234-dirty -> 1.2.3+4.gabc1234.dirty,
# v1.2.3-rc1 -> 1.2.3~rc1, a bare commit abc1234 -> 0.0.0+git.abc1234.
release_re='^([0-9]+)\.([0-9]+)(\.([0-9]+))?(-([A-Za-z][A-Za-z0-9.]*))?(-([0-9]+)-g([0-9a-f]+))?$'
deb_version() {
	local v=${1#v} dirty= d
	[[ $v == *-dirty ]] && dirty=1 && v=${v%-dirty}
	if [[ $v =~ $release_re ]]; then
		d=${BASH_REMATCH[1]}.${BASH_REMATCH[2]}${BASH_REMATCH[3]}
		[[ -n ${BASH_REMATCH[6]} ]] && d+="~${BASH_REMATCH[6]}"
		if [[ -n ${BASH_REMATCH[8]} ]]; then
			d+="+${BASH_REMATCH[8]}.g${BASH_REMATCH[9]}${dirty:+.dirty}"
		elif [[ -n $dirty ]]; then
			d+="+0.dirty"
		fi
	else
		d="0.0.0+git.${v//-/.}${dirty:+.dirty}"
	fi
	echo "$d"
}

# win_version VERSION: the four numbers (each at most 65535) of a Windows
# version resource: major.minor.patch.commits-since-the-tag.
win_version() {
	local v=${1#v} n=(0 0 0 0) i
	v=${v%-dirty}
	if [[ $v =~ $release_re ]]; then
		n=("${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[4]:-0}" "${BASH_REMATCH[8]:-0}")
	fi
	for i in 0 1 2 3; do
		n[i]=$((10#${n[i]}))
		((n[i] <= 65535)) || n[i]=65535
	done
	echo "${n[0]}.${n[1]}.${n[2]}.${n[3]}"
}

DEBVERSION=$(deb_version "$VERSION")
WINVERSION=$(win_version "$VERSION")
if [[ ${PACKAGE_PRINT_VERSIONS:-} == 1 ]]; then
	echo "$DEBVERSION $WINVERSION"
	exit 0
fi

COMMIT=${COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}
DATE=${DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
DEB_MAINTAINER=${DEB_MAINTAINER:-storeedge packaging <packaging@storeedge.invalid>}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
LDFLAGS="-s -w -X storeedge/version.Version=$VERSION -X storeedge/version.Commit=$COMMIT -X storeedge/version.Date=$DATE"

for tool in dpkg-deb makensis tar gzip sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is missing (make package installs it: scripts/ensure-deps.sh)"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
rm -f "$out"/storeedge_* "$out"/SHA256SUMS

build() { # GOOS GOARCH OUTPUT
	local cgo=0
	[[ $1/$2 == linux/amd64 ]] && cgo=${CGO_LINUX_AMD64:-1}
	echo "package: build $1/$2 (CGO_ENABLED=$cgo)"
	(cd "$root" && CGO_ENABLED=$cgo GOOS=$1 GOARCH=$2 "$GO" build -trimpath -ldflags "$LDFLAGS" -o "$3" ./cmd/storeedge)
}

# depends BINARY: the package's Depends: the shared libraries the program
# links (none when static) and the tools of the maintainer scripts.
depends() {
	local d="passwd, init-system-helpers (>= 1.54~)" shl libs
	if readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'; then
		command -v dpkg-shlibdeps >/dev/null || die "dpkg-shlibdeps is missing (Debian package dpkg-dev)"
		shl=$(mktemp -d)
		mkdir -p "$shl/debian/storeedge/usr/bin" "$shl/debian/storeedge/DEBIAN"
		cp "$1" "$shl/debian/storeedge/usr/bin/storeedge"
		printf 'Source: storeedge\n\nPackage: storeedge\nArchitecture: any\n' >"$shl/debian/control"
		if ! libs=$(cd "$shl" && dpkg-shlibdeps -O -e "$shl/debian/storeedge/usr/bin/storeedge" 2>"$shl/err"); then
			cat "$shl/err" >&2
			die "dpkg-shlibdeps failed"
		fi
		# It finds the binary outside an installed tree, as meant: say the rest.
		grep -v "should already be installed in their package's directory" "$shl/err" >&2 || true
		rm -rf "$shl"
		libs=${libs#shlibs:Depends=}
		[[ -n $libs ]] && d="$libs, $d"
	fi
	echo "$d"
}

# crlf FILE OUT: a text file with Windows line ends, for Notepad.
crlf() { sed 's/\r*$/\r/' "$1" >"$2"; }

# tarball DIR NAME: NAME.tar.gz of DIR, owned by root, in a stable order.
tarball() {
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
		-C "$(dirname "$1")" -cf - "$(basename "$1")" | gzip -9n >"$out/$2.tar.gz"
}

for arch in amd64 arm64; do
	bin=$work/linux_$arch/storeedge
	build linux "$arch" "$bin"

	name=storeedge_${VERSION}_linux_$arch
	t=$work/$name
	install -D -m 0755 "$bin" "$t/storeedge"
	install -m 0644 "$root/README.md" "$t/README.md"
	install -m 0644 "$here/storeedge.toml" "$t/storeedge.toml"
	install -m 0644 "$root/agent/config/testdata/example.toml" "$t/storeedge.example.toml"
	install -m 0644 "$here/linux/storeedge.service" "$t/storeedge.service"
	tarball "$t" "$name"

	d=$work/deb_$arch
	install -D -m 0755 "$bin" "$d/usr/bin/storeedge"
	install -D -m 0644 "$here/linux/storeedge.service" "$d/lib/systemd/system/storeedge.service"
	install -D -m 0644 "$here/storeedge.toml" "$d/usr/share/storeedge/storeedge.toml"
	install -D -m 0644 "$root/README.md" "$d/usr/share/doc/storeedge/README.md"
	install -D -m 0644 "$root/agent/config/testdata/example.toml" "$d/usr/share/doc/storeedge/storeedge.example.toml"
	install -d -m 0755 "$d/DEBIAN"
	for s in postinst prerm postrm; do
		install -m 0755 "$here/debian/$s" "$d/DEBIAN/$s"
	done
	size=$(du -s -k --apparent-size --exclude=DEBIAN "$d" | cut -f1)
	deps=$(depends "$bin")
	sed -e "s/@VERSION@/$DEBVERSION/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$deps/" \
		-e "s|@MAINTAINER@|$DEB_MAINTAINER|" "$here/debian/control.in" >"$d/DEBIAN/control"
	(cd "$d" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$d/DEBIAN/md5sums"
	chmod 0644 "$d/DEBIAN/control" "$d/DEBIAN/md5sums"
	find "$d" -type d -exec chmod 0755 {} +
	dpkg-deb --root-owner-group -Zxz --build "$d" "$out/storeedge_${DEBVERSION}_$arch.deb" >/dev/null
	echo "package: storeedge_${DEBVERSION}_$arch.deb"
done

exe=$work/windows_amd64/storeedge.exe
build windows amd64 "$exe"
name=storeedge_${VERSION}_windows_amd64
t=$work/$name
install -D -m 0755 "$exe" "$t/storeedge.exe"
crlf "$root/README.md" "$t/README.md"
crlf "$here/storeedge.toml" "$t/storeedge.toml"
crlf "$root/agent/config/testdata/example.toml" "$t/storeedge.example.toml"
chmod 0644 "$t"/*.md "$t"/*.toml
tarball "$t" "$name"

makensis -V2 -NOCD \
	-DVERSION="$VERSION" -DVIVERSION="$WINVERSION" -DEXE="$t/storeedge.exe" \
	-DCONFIG="$t/storeedge.toml" -DEXAMPLE="$t/storeedge.example.toml" -DREADME="$t/README.md" \
	-DOUTFILE="$out/${name}_installer.exe" "$here/windows/storeedge.nsi" >/dev/null
echo "package: ${name}_installer.exe"

(cd "$out" && sha256sum storeedge_* >SHA256SUMS)
echo "package: $VERSION (deb $DEBVERSION, windows $WINVERSION) in $out"
