//go:build linux

package packaging

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"debug/elf"
	"debug/pe"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dist is a directory packaging/build.sh filled.
type dist struct {
	dir        string
	version    string // as `storeedge version` prints it
	debVersion string
	winVersion string
}

var tarballName = regexp.MustCompile(`^storeedge_(.+)_linux_amd64\.tar\.gz$`)

// openDist finds the artefacts the test checks: STOREEDGE_DIST names their
// directory (make package-test sets it).
func openDist(t *testing.T) *dist {
	t.Helper()
	dir := os.Getenv("STOREEDGE_DIST")
	if dir == "" {
		t.Skip("STOREEDGE_DIST is not set: `make package-test` builds the packages and runs these tests")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := &dist{dir: dir}
	for _, e := range ents {
		if m := tarballName.FindStringSubmatch(e.Name()); m != nil {
			d.version = m[1]
		}
	}
	if d.version == "" {
		t.Fatalf("%s holds no storeedge_VERSION_linux_amd64.tar.gz", dir)
	}
	d.debVersion, d.winVersion = versions(t, d.version)
	return d
}

func (d *dist) path(name string) string { return filepath.Join(d.dir, name) }

func (d *dist) names() []string {
	v, dv := d.version, d.debVersion
	return []string{
		"SHA256SUMS",
		"storeedge_" + dv + "_amd64.deb",
		"storeedge_" + dv + "_arm64.deb",
		"storeedge_" + v + "_linux_amd64.tar.gz",
		"storeedge_" + v + "_linux_arm64.tar.gz",
		"storeedge_" + v + "_windows_amd64.tar.gz",
		"storeedge_" + v + "_windows_amd64_installer.exe",
	}
}

// Every artefact is there, named with the version, and SHA256SUMS holds
// their true sums.
func TestDistFiles(t *testing.T) {
	d := openDist(t)
	ents, _ := os.ReadDir(d.dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want := d.names()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("dist holds\n %q\nwant\n %q", got, want)
	}
	sums := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(readFile(t, d.path("SHA256SUMS"))))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", sc.Text())
		}
		sums[name] = sum
	}
	for _, name := range want[1:] {
		b, err := os.ReadFile(d.path(name))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		if sums[name] != hex.EncodeToString(h[:]) {
			t.Errorf("SHA256SUMS: %s sum %q is not the file's", name, sums[name])
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tarEntry is one member of a tar stream.
type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

func readTar(t *testing.T, r io.Reader) map[string]tarEntry {
	t.Helper()
	m := map[string]tarEntry{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		m[strings.TrimPrefix(h.Name, "./")] = tarEntry{h, data}
	}
}

func readTarGz(t *testing.T, p string) map[string]tarEntry {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return readTar(t, zr)
}

// checkEntries compares a listing with the wanted files and modes; every
// entry must belong to root.
func checkEntries(t *testing.T, what string, got map[string]tarEntry, want map[string]fs.FileMode) {
	t.Helper()
	for name, e := range got {
		mode, ok := want[name]
		if !ok {
			t.Errorf("%s: unexpected %s", what, name)
			continue
		}
		if e.hdr.Uid != 0 || e.hdr.Gid != 0 {
			t.Errorf("%s: %s owned by %d:%d, want root", what, name, e.hdr.Uid, e.hdr.Gid)
		}
		if got := fs.FileMode(e.hdr.Mode).Perm(); got != mode {
			t.Errorf("%s: %s mode %o, want %o", what, name, got, mode)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("%s: %s is missing", what, name)
		}
	}
}

// cgoBuild says which builds use cgo (linux/amd64, for USB through
// libusb); the others are static programs.
func cgoBuild(goos, arch string) bool { return goos == "linux" && arch == "amd64" }

// checkBinary checks a program's machine, and that it is static unless it
// is the cgo build.
func checkBinary(t *testing.T, what string, data []byte, goos, arch string) {
	t.Helper()
	if goos == "windows" {
		f, err := pe.NewFile(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: not a Windows program: %v", what, err)
		}
		if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
			t.Errorf("%s: machine %#x, want amd64", what, f.Machine)
		}
		return
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: not an ELF program: %v", what, err)
	}
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if f.Machine != want {
		t.Errorf("%s: machine %v, want %v", what, f.Machine, want)
	}
	dynamic := false
	for _, p := range f.Progs {
		dynamic = dynamic || p.Type == elf.PT_INTERP
	}
	if dynamic != cgoBuild(goos, arch) {
		t.Errorf("%s: dynamically linked %v, want %v (cgo only for linux/amd64)", what, dynamic, cgoBuild(goos, arch))
	}
}

func TestDistTarballs(t *testing.T) {
	d := openDist(t)
	for _, p := range []struct{ goos, arch, exe string }{
		{"linux", "amd64", "storeedge"}, {"linux", "arm64", "storeedge"}, {"windows", "amd64", "storeedge.exe"},
	} {
		name := fmt.Sprintf("storeedge_%s_%s_%s", d.version, p.goos, p.arch)
		got := readTarGz(t, d.path(name+".tar.gz"))
		want := map[string]fs.FileMode{
			name + "/":                       0o755,
			name + "/" + p.exe:               0o755,
			name + "/README.md":              0o644,
			name + "/storeedge.toml":         0o644,
			name + "/storeedge.example.toml": 0o644,
		}
		if p.goos == "linux" {
			want[name+"/storeedge.service"] = 0o644
			if s := string(got[name+"/storeedge.service"].data); s != readFile(t, "linux/storeedge.service") {
				t.Errorf("%s: the unit is not packaging/linux/storeedge.service", name)
			}
		} else if !bytes.Contains(got[name+"/storeedge.toml"].data, []byte("\r\n")) {
			t.Errorf("%s: the config has Unix line ends", name)
		}
		checkEntries(t, name, got, want)
		exe := got[name+"/"+p.exe].data
		checkBinary(t, name, exe, p.goos, p.arch)
		if !bytes.Contains(exe, []byte(d.version)) {
			t.Errorf("%s: the program does not carry version %s", name, d.version)
		}
	}
}

// debFields reads a package's control fields.
func debFields(t *testing.T, deb string) map[string]string {
	t.Helper()
	out := run(t, nil, "dpkg-deb", "--field", deb)
	m := map[string]string{}
	last := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, " ") && last != "" {
			m[last] += "\n" + l
			continue
		}
		if k, v, ok := strings.Cut(l, ": "); ok {
			m[k], last = v, k
		}
	}
	return m
}

func debTar(t *testing.T, deb, which string) map[string]tarEntry {
	t.Helper()
	cmd := exec.Command("dpkg-deb", which, deb)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dpkg-deb %s %s: %v", which, deb, err)
	}
	return readTar(t, bytes.NewReader(out))
}

func TestDistDeb(t *testing.T) {
	d := openDist(t)
	need(t, "dpkg-deb", "dpkg")
	for _, arch := range []string{"amd64", "arm64"} {
		deb := d.path(fmt.Sprintf("storeedge_%s_%s.deb", d.debVersion, arch))
		f := debFields(t, deb)
		for k, want := range map[string]string{
			"Package": "storeedge", "Version": d.debVersion, "Architecture": arch,
			"Section": "net", "Priority": "optional",
		} {
			if f[k] != want {
				t.Errorf("%s: %s = %q, want %q", arch, k, f[k], want)
			}
		}
		// The cgo build depends on the C libraries it links; every package on
		// what its maintainer scripts run.
		wantDeps := "passwd, init-system-helpers (>= 1.54~)"
		if cgoBuild("linux", arch) {
			if !regexp.MustCompile(`^libc6 \(>= [0-9.]+\), libusb-1\.0-0 \(>= [^)]+\), `).MatchString(f["Depends"]) {
				t.Errorf("%s: Depends %q lacks libc6 and libusb-1.0-0", arch, f["Depends"])
			}
		}
		if !strings.HasSuffix(f["Depends"], wantDeps) || !cgoBuild("linux", arch) && f["Depends"] != wantDeps {
			t.Errorf("%s: Depends %q", arch, f["Depends"])
		}
		if f["Maintainer"] == "" || !strings.HasPrefix(f["Description"], "prints a shop's online orders") || f["Installed-Size"] == "" {
			t.Errorf("%s: control fields %q", arch, f)
		}

		files := debTar(t, deb, "--fsys-tarfile")
		checkEntries(t, arch+" data", files, map[string]fs.FileMode{
			"":                                     0o755,
			"usr/":                                 0o755,
			"usr/bin/":                             0o755,
			"usr/bin/storeedge":                    0o755,
			"lib/":                                 0o755,
			"lib/systemd/":                         0o755,
			"lib/systemd/system/":                  0o755,
			"usr/share/":                           0o755,
			"usr/share/storeedge/":                 0o755,
			"usr/share/doc/":                       0o755,
			"usr/share/doc/storeedge/":             0o755,
			"lib/systemd/system/storeedge.service": 0o644,
			"usr/share/storeedge/storeedge.toml":   0o644,
			"usr/share/doc/storeedge/README.md":    0o644,
			"usr/share/doc/storeedge/storeedge.example.toml": 0o644,
		})
		if string(files["lib/systemd/system/storeedge.service"].data) != readFile(t, "linux/storeedge.service") {
			t.Errorf("%s: the unit is not packaging/linux/storeedge.service", arch)
		}
		if string(files["usr/share/storeedge/storeedge.toml"].data) != readFile(t, "storeedge.toml") {
			t.Errorf("%s: the first config is not packaging/storeedge.toml", arch)
		}
		checkBinary(t, arch+" deb", files["usr/bin/storeedge"].data, "linux", arch)

		control := debTar(t, deb, "--ctrl-tarfile")
		checkEntries(t, arch+" control", control, map[string]fs.FileMode{
			"": 0o755, "control": 0o644, "md5sums": 0o644, "postinst": 0o755, "prerm": 0o755, "postrm": 0o755,
		})
		for _, s := range []string{"postinst", "prerm", "postrm"} {
			if string(control[s].data) != readFile(t, "debian/"+s) {
				t.Errorf("%s: %s is not packaging/debian/%s", arch, s, s)
			}
		}
		// md5sums covers every file, with the right sums.
		sums := strings.TrimSpace(string(control["md5sums"].data))
		var n int
		for name, e := range files {
			if e.hdr.Typeflag != tar.TypeReg {
				continue
			}
			n++
			if !strings.Contains(sums, fmt.Sprintf("%x  %s", md5sum(e.data), name)) {
				t.Errorf("%s: md5sums lacks %s", arch, name)
			}
		}
		if lines := strings.Count(sums, "\n") + 1; lines != n {
			t.Errorf("%s: md5sums has %d lines for %d files", arch, lines, n)
		}
	}
}

// The amd64 package, installed, upgraded, removed and purged in a
// throwaway root by dpkg itself.
func TestDistDebInstall(t *testing.T) {
	d := openDist(t)
	needRoot(t)
	need(t, "dpkg", "dpkg")
	need(t, "useradd", "passwd")
	need(t, "deb-systemd-helper", "init-system-helpers")
	deb := d.path(fmt.Sprintf("storeedge_%s_amd64.deb", d.debVersion))
	r := newRoot(t, baseGroups)
	for _, p := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"} {
		os.MkdirAll(filepath.Join(r.dir, p), 0o755)
	}
	r.write("var/lib/dpkg/status", "", 0o644)
	r.write("var/lib/dpkg/available", "", 0o644)
	dpkg := func(args ...string) string {
		t.Helper()
		// The root has no passwd or init-system-helpers of its own: the
		// scripts use the host's, on the root's files.
		base := []string{"--root=" + r.dir, "--force-script-chrootless", "--force-depends", "--log=/dev/null"}
		return run(t, []string{r.path}, "dpkg", append(base, args...)...)
	}
	dpkg("--install", deb)
	if out := dpkg("--status", "storeedge"); !strings.Contains(out, "Status: install ok installed") || !strings.Contains(out, "Version: "+d.debVersion) {
		t.Fatalf("not installed:\n%s", out)
	}

	exe := filepath.Join(r.dir, "usr/bin/storeedge")
	out := run(t, nil, exe, "version")
	if !strings.Contains(out, "storeedge "+d.version+" (commit ") || strings.Contains(out, "commit unknown") || strings.Contains(out, "built unknown") {
		t.Errorf("storeedge version: %q; want version %s, a commit and a build date", out, d.version)
	}

	u := r.entry("etc/passwd", "storeedge")
	if u == nil {
		t.Fatal("no storeedge user")
	}
	uid, gid := u[2], r.entry("etc/group", "storeedge")[2]
	for _, g := range []string{"lp", "dialout"} {
		if e := r.entry("etc/group", g); e[3] != "storeedge" {
			t.Errorf("group %s members %q", g, e[3])
		}
	}
	r.owner("usr/bin/storeedge", "0", "0", 0o755)
	r.owner("var/lib/storeedge", uid, gid, 0o750)
	r.owner("etc/storeedge/storeedge.toml", "0", gid, 0o640)
	if link, _ := os.Readlink(filepath.Join(r.dir, "etc/systemd/system/multi-user.target.wants/storeedge.service")); link != "/lib/systemd/system/storeedge.service" {
		t.Errorf("service not enabled (link %q)", link)
	}

	// The IT person writes the store's config; check-config passes with it.
	dataDir := filepath.Join(r.dir, "var/lib/storeedge")
	cfg := fmt.Sprintf(`[agent]
data_dir = %q

[[platform]]
name = "youzan"
type = "youzan"
client_id = "3f1c9a0d2b7e4c58a1"
client_secret = "s3cret"
grant_id = "43905122"

[[store]]
id = "43435545"
name = "人民路店"

[[printer]]
name = "front"
uri = "tcp://192.168.1.50:9100"

[[binding]]
store = "43435545"
ticket = "receipt"
printers = ["front"]
`, dataDir)
	cfgPath := filepath.Join(r.dir, "etc/storeedge/storeedge.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o640); err != nil {
		t.Fatal(err)
	}
	if out := run(t, nil, exe, "check-config", "--config", cfgPath); !strings.Contains(out, "ok (stores: 1, platforms: 1, printers: 1, bindings: 1)") {
		t.Errorf("check-config: %s", out)
	}
	r.write("var/lib/storeedge/queue.db", "the print queue", 0o600)

	// An upgrade keeps the config and the queue.
	newer := rebuildWithVersion(t, deb, d.debVersion+"+1")
	dpkg("--install", newer)
	if out := dpkg("--status", "storeedge"); !strings.Contains(out, "Version: "+d.debVersion+"+1") {
		t.Errorf("upgrade did not install:\n%s", out)
	}
	if readFile(t, cfgPath) != cfg || r.read("var/lib/storeedge/queue.db") != "the print queue" {
		t.Error("the upgrade changed the config or the queue")
	}

	// Removing keeps them too; the service goes.
	dpkg("--remove", "storeedge")
	if r.exists("usr/bin/storeedge") || r.exists("lib/systemd/system/storeedge.service") {
		t.Error("remove left the program or the unit")
	}
	if readFile(t, cfgPath) != cfg || !r.exists("var/lib/storeedge/queue.db") {
		t.Error("remove deleted the config or the queue")
	}

	// Installing again carries on with them.
	dpkg("--install", deb)
	if readFile(t, cfgPath) != cfg || !r.exists("var/lib/storeedge/queue.db") {
		t.Error("reinstall replaced the config or the queue")
	}
	if link, _ := os.Readlink(filepath.Join(r.dir, "etc/systemd/system/storeedge.service")); link == "/dev/null" {
		t.Error("reinstall left the service masked")
	}

	// Purge deletes config and data.
	dpkg("--purge", "storeedge")
	for _, p := range []string{"etc/storeedge", "var/lib/storeedge", "usr/bin/storeedge",
		"etc/systemd/system/multi-user.target.wants/storeedge.service", "etc/systemd/system/storeedge.service"} {
		if r.exists(p) {
			t.Errorf("purge left %s", p)
		}
	}
}

// rebuildWithVersion repacks a package under another version, standing in
// for the next release.
func rebuildWithVersion(t *testing.T, deb, version string) string {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	run(t, nil, "dpkg-deb", "--raw-extract", deb, tree)
	control := filepath.Join(tree, "DEBIAN", "control")
	b := readFile(t, control)
	b = regexp.MustCompile(`(?m)^Version: .*$`).ReplaceAllString(b, "Version: "+version)
	if err := os.WriteFile(control, []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "next.deb")
	run(t, nil, "dpkg-deb", "--root-owner-group", "--build", tree, out)
	return out
}

// The installer holds the same program as the Windows tarball, the first
// config with Windows line ends, and carries the version.
func TestDistInstaller(t *testing.T) {
	d := openDist(t)
	sevenZip := need(t, "7z", "p7zip-full")
	installer := d.path(fmt.Sprintf("storeedge_%s_windows_amd64_installer.exe", d.version))
	dir := t.TempDir()
	run(t, nil, sevenZip, "x", "-o"+dir, installer)
	name := fmt.Sprintf("storeedge_%s_windows_amd64", d.version)
	tgz := readTarGz(t, d.path(name+".tar.gz"))
	for inInstaller, inTar := range map[string]string{
		"storeedge.exe":          "storeedge.exe",
		"README.md":              "README.md",
		"storeedge.example.toml": "storeedge.example.toml",
	} {
		b, err := os.ReadFile(filepath.Join(dir, inInstaller))
		if err != nil {
			t.Fatalf("installer lacks %s: %v", inInstaller, err)
		}
		if !bytes.Equal(b, tgz[name+"/"+inTar].data) {
			t.Errorf("installer's %s differs from the tarball's", inInstaller)
		}
	}
	// NSIS files the first config under the variable directory it goes to.
	cfgs, _ := filepath.Glob(filepath.Join(dir, "*", "storeedge.toml"))
	if len(cfgs) != 1 || readFile(t, cfgs[0]) != string(tgz[name+"/storeedge.toml"].data) {
		t.Errorf("installer's first config: %q", cfgs)
	}
	if _, err := os.Stat(filepath.Join(dir, "uninstall.exe")); err != nil {
		t.Errorf("installer writes no uninstaller: %v", err)
	}
	b, err := os.ReadFile(installer)
	if err != nil {
		t.Fatal(err)
	}
	checkBinary(t, "installer", b, "windows", "amd64")
	if !bytes.Contains(b, utf16(d.version)) {
		t.Errorf("installer's version resource lacks %s", d.version)
	}
}

func md5sum(b []byte) [16]byte { return md5.Sum(b) }
