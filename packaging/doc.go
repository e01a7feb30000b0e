// Package packaging holds the recipes of storeedge's release artefacts and
// their tests; it has no Go API. build.sh builds, into dist/, a tar.gz per
// platform, the Linux .deb packages (debian/: control and maintainer
// scripts; linux/storeedge.service: the systemd unit) and the Windows
// installer (windows/storeedge.nsi). storeedge.toml is the first config the
// installers put in place.
//
// The tests check the recipes on every run, and the built artefacts when
// STOREEDGE_DIST names the directory build.sh filled (make package-test).
package packaging
