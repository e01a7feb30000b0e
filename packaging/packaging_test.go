//go:build linux

package packaging

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"storeedge/agent/config"
)

// need returns the path of a tool the test cannot do without: missing, the
// test fails in CI and is skipped elsewhere.
func need(t *testing.T, tool, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (Debian package %s): make test installs it", tool, debianPackage)
		}
		t.Skipf("%s is missing (Debian package %s)", tool, debianPackage)
	}
	return p
}

// needRoot: installing a package sets owners, which only root can.
func needRoot(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("Linux packages are tested on Linux")
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test sets file owners and needs root")
		}
		t.Skip("this test sets file owners and needs root")
	}
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// The first config the installers put in place loads, on either line ending,
// and runs an agent that prints nothing yet.
func TestDefaultConfig(t *testing.T) {
	b, err := os.ReadFile("storeedge.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"lf.toml":   b,
		"crlf.toml": bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o640); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cfg.Agent.DataDir != config.DefaultDataDir() {
			t.Errorf("%s: data_dir %q, want the default %q", name, cfg.Agent.DataDir, config.DefaultDataDir())
		}
		if cfg.Agent.StatusListen != "127.0.0.1:8723" || cfg.Agent.StatusToken != "" {
			t.Errorf("%s: status page on %q", name, cfg.Agent.StatusListen)
		}
		if n := len(cfg.Stores) + len(cfg.Platforms) + len(cfg.Printers) + len(cfg.Bindings); n != 0 {
			t.Errorf("%s: %d sections filled in; the first config has none", name, n)
		}
	}
}

// versions runs build.sh's version mapping.
func versions(t *testing.T, v string) (deb, win string) {
	t.Helper()
	out := run(t, []string{"VERSION=" + v, "PACKAGE_PRINT_VERSIONS=1"}, "bash", "build.sh")
	f := strings.Fields(out)
	if len(f) != 2 {
		t.Fatalf("build.sh printed %q", out)
	}
	return f[0], f[1]
}

func TestVersions(t *testing.T) {
	need(t, "bash", "bash")
	tests := []struct{ version, deb, win string }{
		{"v1.2.3", "1.2.3", "1.2.3.0"},
		{"v1.2.3-4-gabc1234", "1.2.3+4.gabc1234", "1.2.3.4"},
		{"v1.2.3-4-gabc1234-dirty", "1.2.3+4.gabc1234.dirty", "1.2.3.4"},
		{"v1.2.3-dirty", "1.2.3+0.dirty", "1.2.3.0"},
		{"v1.2.3-rc1", "1.2.3~rc1", "1.2.3.0"},
		{"v1.2.3-rc1-2-gdeadbee", "1.2.3~rc1+2.gdeadbee", "1.2.3.2"},
		{"0.9", "0.9", "0.9.0.0"},
		{"v2.0.99999", "2.0.99999", "2.0.65535.0"},
		{"f3de0f6-dirty", "0.0.0+git.f3de0f6.dirty", "0.0.0.0"},
		{"1234567", "0.0.0+git.1234567", "0.0.0.0"},
		{"dev", "0.0.0+git.dev", "0.0.0.0"},
	}
	for _, tc := range tests {
		deb, win := versions(t, tc.version)
		if deb != tc.deb || win != tc.win {
			t.Errorf("%s: deb %s windows %s, want %s %s", tc.version, deb, win, tc.deb, tc.win)
		}
	}
	cmd := exec.Command("bash", "build.sh")
	cmd.Env = append(os.Environ(), "VERSION=1.0 bad", "PACKAGE_PRINT_VERSIONS=1")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), `version "1.0 bad" holds characters`) {
		t.Errorf("a version with a blank: %v %s", err, out)
	}

	// Debian sorts them as the releases go.
	dpkg := need(t, "dpkg", "dpkg")
	order := []string{"v1.2.3-rc1", "v1.2.3-rc1-2-gdeadbee", "v1.2.3", "v1.2.3-dirty", "v1.2.3-4-gabc1234", "v1.2.3-4-gabc1234-dirty", "v1.2.4"}
	for i := 1; i < len(order); i++ {
		a, _ := versions(t, order[i-1])
		b, _ := versions(t, order[i])
		if err := exec.Command(dpkg, "--compare-versions", a, "lt", b).Run(); err != nil {
			t.Errorf("dpkg does not sort %s (%s) before %s (%s)", a, order[i-1], b, order[i])
		}
	}
}

// troot is a throwaway root directory with the files a package's maintainer
// scripts expect: users and groups, and what the package unpacks.
type troot struct {
	t    *testing.T
	dir  string
	path string // PATH with the sbin directories
}

func newRoot(t *testing.T, groups string) *troot {
	t.Helper()
	r := &troot{t: t, dir: t.TempDir(), path: "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	r.write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nlp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin\n", 0o644)
	r.write("etc/shadow", "root:*:19000:0:99999:7:::\nlp:*:19000:0:99999:7:::\n", 0o640)
	r.write("etc/group", groups, 0o644)
	var gshadow strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(groups), "\n") {
		name, _, _ := strings.Cut(l, ":")
		fmt.Fprintf(&gshadow, "%s:*::\n", name)
	}
	r.write("etc/gshadow", gshadow.String(), 0o640)
	return r
}

const baseGroups = "root:x:0:\nlp:x:7:\ndialout:x:20:\n"

func (r *troot) write(rel, content string, mode fs.FileMode) {
	r.t.Helper()
	p := filepath.Join(r.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		r.t.Fatal(err)
	}
}

func (r *troot) read(rel string) string {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, rel))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

func (r *troot) exists(rel string) bool {
	_, err := os.Lstat(filepath.Join(r.dir, rel))
	return err == nil
}

// entry finds NAME in one of the root's /etc/passwd or /etc/group files.
func (r *troot) entry(file, name string) []string {
	r.t.Helper()
	for _, l := range strings.Split(r.read(file), "\n") {
		if f := strings.Split(l, ":"); f[0] == name {
			return f
		}
	}
	return nil
}

// owner checks a path's owner, group and permission bits by number.
func (r *troot) owner(rel string, uid, gid string, perm fs.FileMode) {
	r.t.Helper()
	st, err := os.Lstat(filepath.Join(r.dir, rel))
	if err != nil {
		r.t.Errorf("%s: %v", rel, err)
		return
	}
	sys := st.Sys().(*syscall.Stat_t)
	if got := fmt.Sprintf("%d:%d %o", sys.Uid, sys.Gid, st.Mode().Perm()); got != fmt.Sprintf("%s:%s %o", uid, gid, perm) {
		r.t.Errorf("%s: owner and mode %s, want %s:%s %o", rel, got, uid, gid, perm)
	}
}

// script runs a maintainer script against the root, as dpkg does when it
// installs into another root without chroot.
func (r *troot) script(name string, args ...string) string {
	r.t.Helper()
	env := []string{"DPKG_ROOT=" + r.dir, "DPKG_MAINTSCRIPT_PACKAGE=storeedge", "DPKG_MAINTSCRIPT_NAME=" + name, r.path}
	return run(r.t, env, "sh", append([]string{filepath.Join("debian", name)}, args...)...)
}

// unpack puts in place what the package ships that the scripts use.
func (r *troot) unpack() {
	r.t.Helper()
	cfg, err := os.ReadFile("storeedge.toml")
	if err != nil {
		r.t.Fatal(err)
	}
	unit, err := os.ReadFile("linux/storeedge.service")
	if err != nil {
		r.t.Fatal(err)
	}
	r.write("usr/share/storeedge/storeedge.toml", string(cfg), 0o644)
	r.write("lib/systemd/system/storeedge.service", string(unit), 0o644)
}

func TestMaintainerScripts(t *testing.T) {
	need(t, "sh", "dash")
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		b, err := os.ReadFile(filepath.Join("debian", s))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("#!/bin/sh\n")) || !bytes.Contains(b, []byte("\nset -e\n")) {
			t.Errorf("%s: not a /bin/sh script with set -e", s)
		}
		run(t, nil, "sh", "-n", filepath.Join("debian", s))
		if st, _ := os.Stat(filepath.Join("debian", s)); st.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable", s)
		}
	}
}

// postinst makes the user, directories and first config; a second run (an
// upgrade) keeps an edited config and adds nothing twice.
func TestPostinst(t *testing.T) {
	needRoot(t)
	need(t, "useradd", "passwd")
	need(t, "deb-systemd-helper", "init-system-helpers")
	tests := []struct {
		name   string
		groups string
		// before runs before postinst: an existing user, say.
		before     func(r *troot)
		wantUID    string
		wantGroups []string // groups the user must be in
		notIn      []string
	}{
		{name: "fresh", groups: baseGroups, wantGroups: []string{"lp", "dialout"}},
		{
			name:       "no dialout group on this system",
			groups:     "root:x:0:\nlp:x:7:\n",
			wantGroups: []string{"lp"},
		},
		{
			name:   "the user exists already",
			groups: baseGroups + "storeedge:x:321:\n",
			before: func(r *troot) {
				r.write("etc/passwd", r.read("etc/passwd")+"storeedge:x:321:321::/var/lib/storeedge:/usr/sbin/nologin\n", 0o644)
				r.write("etc/shadow", r.read("etc/shadow")+"storeedge:!:19000::::::\n", 0o640)
			},
			wantUID:    "321",
			wantGroups: []string{"lp", "dialout"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRoot(t, tc.groups)
			r.unpack()
			if tc.before != nil {
				tc.before(r)
			}
			r.script("postinst", "configure", "")

			u := r.entry("etc/passwd", "storeedge")
			if u == nil {
				t.Fatalf("no storeedge user:\n%s", r.read("etc/passwd"))
			}
			if tc.wantUID != "" && u[2] != tc.wantUID {
				t.Errorf("uid %s, want the existing %s", u[2], tc.wantUID)
			}
			if u[5] != "/var/lib/storeedge" || u[6] != "/usr/sbin/nologin" {
				t.Errorf("home %s shell %s", u[5], u[6])
			}
			uid := u[2]
			gid := r.entry("etc/group", "storeedge")[2]
			if u[3] != gid {
				t.Errorf("primary group %s, want storeedge's %s", u[3], gid)
			}
			for _, g := range tc.wantGroups {
				if e := r.entry("etc/group", g); !strings.Contains(","+e[3]+",", ",storeedge,") {
					t.Errorf("storeedge not in group %s: %q", g, e)
				}
			}
			r.owner("var/lib/storeedge", uid, gid, 0o750)
			r.owner("var/lib/storeedge/logs", uid, gid, 0o750)
			r.owner("etc/storeedge", "0", gid, 0o750)
			r.owner("etc/storeedge/storeedge.toml", "0", gid, 0o640)
			if r.read("etc/storeedge/storeedge.toml") != r.read("usr/share/storeedge/storeedge.toml") {
				t.Error("the first config is not the shipped one")
			}
			if link, err := os.Readlink(filepath.Join(r.dir, "etc/systemd/system/multi-user.target.wants/storeedge.service")); err != nil || link != "/lib/systemd/system/storeedge.service" {
				t.Errorf("service not enabled: %q %v", link, err)
			}

			// Upgrade: postinst again, with the old version.
			edited := r.read("etc/storeedge/storeedge.toml") + "# the shop's own settings\n"
			r.write("etc/storeedge/storeedge.toml", edited, 0o600)
			passwd, group := r.read("etc/passwd"), r.read("etc/group")
			r.script("postinst", "configure", "0.0.1")
			if r.read("etc/storeedge/storeedge.toml") != edited {
				t.Error("upgrade replaced the edited config")
			}
			if r.read("etc/passwd") != passwd || r.read("etc/group") != group {
				t.Errorf("upgrade changed users or groups:\n%s\n%s", r.read("etc/passwd"), r.read("etc/group"))
			}
		})
	}
}

// postrm: remove keeps config and data, purge deletes them.
func TestPostrm(t *testing.T) {
	needRoot(t)
	need(t, "useradd", "passwd")
	need(t, "deb-systemd-helper", "init-system-helpers")
	r := newRoot(t, baseGroups)
	r.unpack()
	r.script("postinst", "configure", "")
	r.write("var/lib/storeedge/queue.db", "jobs", 0o600)
	r.script("prerm", "remove")
	r.script("postrm", "remove")
	for _, p := range []string{"etc/storeedge/storeedge.toml", "var/lib/storeedge/queue.db"} {
		if !r.exists(p) {
			t.Errorf("remove deleted %s", p)
		}
	}
	r.script("postrm", "purge")
	for _, p := range []string{"etc/storeedge", "var/lib/storeedge", "etc/systemd/system/multi-user.target.wants/storeedge.service"} {
		if r.exists(p) {
			t.Errorf("purge left %s", p)
		}
	}
	if r.entry("etc/passwd", "storeedge") == nil {
		t.Error("purge removed the user; files it owns may remain elsewhere")
	}
}

// makeInstaller compiles the installer script with small stand-in files.
func makeInstaller(t *testing.T, defines map[string]string) (string, error) {
	t.Helper()
	makensis := need(t, "makensis", "nsis")
	dir := t.TempDir()
	args := []string{"-V2", "-NOCD"}
	for k, v := range defines {
		args = append(args, "-D"+k+"="+v)
	}
	out := filepath.Join(dir, "storeedge_test_installer.exe")
	args = append(args, "-DOUTFILE="+out, filepath.Join("windows", "storeedge.nsi"))
	cmd := exec.Command(makensis, args...)
	b, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, b)
	}
	return out, nil
}

func TestInstallerScript(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for _, name := range []string{"storeedge.exe", "storeedge.toml", "storeedge.example.toml", "README.md"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("stand-in for "+name+"\r\n"), 0o644)
		files[name] = p
	}
	defines := map[string]string{
		"VERSION": "v1.2.3", "VIVERSION": "1.2.3.0", "EXE": files["storeedge.exe"],
		"CONFIG": files["storeedge.toml"], "EXAMPLE": files["storeedge.example.toml"], "README": files["README.md"],
	}
	installer, err := makeInstaller(t, defines)
	if err != nil {
		t.Fatal(err)
	}
	listing := run(t, nil, need(t, "7z", "p7zip-full"), "l", installer)
	for _, want := range []string{"storeedge.exe", "README.md", "storeedge.example.toml", "/storeedge.toml", "uninstall.exe", "nsExec.dll", "NSIS-3 Unicode"} {
		if !strings.Contains(listing, want) {
			t.Errorf("installer lacks %s:\n%s", want, listing)
		}
	}
	b, err := os.ReadFile(installer)
	if err != nil {
		t.Fatal(err)
	}
	checkBinary(t, "installer", b, "windows", "amd64")
	if !bytes.Contains(b, utf16("v1.2.3")) {
		t.Error("installer does not carry its version")
	}

	// Without the defines the script says what it needs.
	delete(defines, "EXE")
	if _, err := makeInstaller(t, defines); err == nil || !strings.Contains(err.Error(), "define VERSION, VIVERSION, EXE") {
		t.Errorf("missing define: %v", err)
	}
}

// utf16 is s in UTF-16LE, as Windows version resources hold text.
func utf16(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

// The installer's steps, read from its script: what a person installing
// by double-click or a silent mass install gets.
func TestInstallerSteps(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("windows", "storeedge.nsi"))
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	for what, want := range map[string]string{
		"administrator rights":            "RequestExecutionLevel admin",
		"64-bit program files":            `InstallDir "$PROGRAMFILES64\storeedge"`,
		"data under ProgramData":          `StrCpy $DataDir "$APPDATA\${NAME}"`,
		"stop before replacing on update": `nsExec::ExecToLog '"$INSTDIR\storeedge.exe" stop'`,
		"keep an existing config":         `${ElseIfNot} ${FileExists} "$DataDir\storeedge.toml"`,
		"register the service":            `"$INSTDIR\storeedge.exe" install --config "$DataDir\storeedge.toml"`,
		"check the config before start":   `"$INSTDIR\storeedge.exe" check-config --config "$DataDir\storeedge.toml"`,
		"start the service":               `nsExec::ExecToLog '"$INSTDIR\storeedge.exe" start'`,
		"restrict the data directory":     `icacls.exe" "$DataDir" /inheritance:r`,
		"remove the service on uninstall": `nsExec::ExecToLog '"$INSTDIR\storeedge.exe" uninstall'`,
		"keep data unless asked":          `MB_DEFBUTTON2 "$(RemoveData) $DataDir?" /SD IDNO IDNO keep`,
		"listed in installed programs":    `WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("%s: script lacks %s", what, want)
		}
	}
	// Only a first install registers the service; an upgrade keeps it.
	i := strings.Index(script, `install --config`)
	if j := strings.LastIndex(script[:i], "${If} $Upgrade != 1"); j < 0 || strings.Contains(script[j:i], "${EndIf}") {
		t.Error("the service is registered on upgrades too")
	}
}
