package service

import (
	"errors"
	"fmt"
	"io/fs"
	"os/user"
	"slices"
	"strings"
	"testing"
)

// fakeLinux is a Linux machine in memory.
type fakeLinux struct {
	euid     int
	users    map[string]*user.User
	groups   map[string]string   // name -> gid
	members  map[string][]string // user -> gids
	files    map[string]bool
	runuser  bool
	checkOut string // what check-config run as the service user prints; "" = ok
	cmds     []string
	chowned  []string
}

func newFakeLinux() *fakeLinux {
	return &fakeLinux{
		users:   map[string]*user.User{},
		groups:  map[string]string{"lp": "7", "dialout": "20"},
		members: map[string][]string{},
		files:   map[string]bool{},
		runuser: true,
	}
}

func (f *fakeLinux) system() *linuxSystem {
	return &linuxSystem{
		euid: func() int { return f.euid },
		lookupUser: func(name string) (*user.User, error) {
			if u, ok := f.users[name]; ok {
				return u, nil
			}
			return nil, user.UnknownUserError(name)
		},
		lookupGroup: func(name string) (*user.Group, error) {
			if gid, ok := f.groups[name]; ok {
				return &user.Group{Gid: gid, Name: name}, nil
			}
			return nil, user.UnknownGroupError(name)
		},
		groupIDs: func(u *user.User) ([]string, error) { return append([]string{u.Gid}, f.members[u.Username]...), nil },
		command: func(name string, args ...string) (string, error) {
			f.cmds = append(f.cmds, name+" "+strings.Join(args, " "))
			switch name {
			case "groupadd":
				f.groups[args[len(args)-1]] = "998"
			case "useradd":
				n := args[len(args)-1]
				f.users[n] = &user.User{Username: n, Uid: "998", Gid: f.groups[n]}
			case "usermod":
				f.members[args[len(args)-1]] = append(f.members[args[len(args)-1]], f.groups[args[len(args)-2]])
			case "runuser":
				if f.checkOut != "" {
					return f.checkOut, errors.New("exit status 2")
				}
			}
			return "", nil
		},
		lookPath: func(name string) (string, error) {
			if name == "runuser" && f.runuser {
				return "/usr/sbin/runuser", nil
			}
			return "", errors.New("not found")
		},
		stat: func(p string) (fs.FileInfo, error) {
			if f.files[p] {
				return nil, nil
			}
			return nil, fs.ErrNotExist
		},
		mkdirAll: func(p string, _ fs.FileMode) error {
			f.cmds = append(f.cmds, "mkdir "+p)
			return nil
		},
		lchown: func(p string, uid, gid int) error {
			f.chowned = append(f.chowned, fmt.Sprintf("%s %d:%d", p, uid, gid))
			return nil
		},
		walkDir: func(root string, fn fs.WalkDirFunc) error {
			for _, p := range []string{root, root + "/queue.db", root + "/logs"} {
				if err := fn(p, nil, nil); err != nil {
					return err
				}
			}
			return nil
		},
		packageUnits: []string{"/lib/systemd/system/storeedge.service"},
	}
}

func TestLinuxPrepareInstallFresh(t *testing.T) {
	f := newFakeLinux()
	s := PackageSettings()
	s.DataDir = "/srv/storeedge"
	got, err := f.system().prepareInstall(s)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"groupadd --system storeedge",
		"useradd --system --gid storeedge --home-dir /srv/storeedge --no-create-home --shell /usr/sbin/nologin --comment storeedge service storeedge",
		"usermod --append --groups lp storeedge",
		"usermod --append --groups dialout storeedge",
		"mkdir /srv/storeedge",
		"runuser -u storeedge -- /usr/bin/storeedge check-config --config /etc/storeedge/storeedge.toml",
	}
	if !slices.Equal(f.cmds, want) {
		t.Errorf("commands:\n got %q\nwant %q", f.cmds, want)
	}
	wantChown := []string{"/srv/storeedge 998:998", "/srv/storeedge/queue.db 998:998", "/srv/storeedge/logs 998:998"}
	if !slices.Equal(f.chowned, wantChown) {
		t.Errorf("chowned %q, want %q", f.chowned, wantChown)
	}
	if !slices.Equal(got.Groups, []string{"lp", "dialout"}) {
		t.Errorf("groups %q", got.Groups)
	}
}

// A second install on a machine that has the user in its groups changes
// nothing about the user; a system without dialout (Arch: uucp) leaves it
// out of the unit.
func TestLinuxPrepareInstallExisting(t *testing.T) {
	f := newFakeLinux()
	delete(f.groups, "dialout")
	f.groups["storeedge"] = "120"
	f.users["storeedge"] = &user.User{Username: "storeedge", Uid: "110", Gid: "120"}
	f.members["storeedge"] = []string{"7"}
	got, err := f.system().prepareInstall(PackageSettings())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.cmds {
		if strings.HasPrefix(c, "useradd") || strings.HasPrefix(c, "groupadd") || strings.HasPrefix(c, "usermod") {
			t.Errorf("ran %q for a user that exists", c)
		}
	}
	if !slices.Equal(got.Groups, []string{"lp"}) {
		t.Errorf("groups %q, want only lp", got.Groups)
	}
	if f.chowned[0] != "/var/lib/storeedge 110:120" {
		t.Errorf("chowned %q", f.chowned)
	}
}

func TestLinuxPrepareInstallRefusals(t *testing.T) {
	f := newFakeLinux()
	f.checkOut = "read config: open /root/shop.toml: permission denied"
	s := PackageSettings()
	s.Config = "/root/shop.toml"
	_, err := f.system().prepareInstall(s)
	if err == nil || !strings.Contains(err.Error(), "the service user storeedge cannot use config /root/shop.toml: read config: open /root/shop.toml: permission denied") ||
		!strings.Contains(err.Error(), "chgrp storeedge /root/shop.toml && chmod g+r /root/shop.toml") {
		t.Errorf("unreadable config: %v", err)
	}

	for _, dir := range []string{"/", "/var/lib", "/home", "/usr/"} {
		f := newFakeLinux()
		s := PackageSettings()
		s.DataDir = dir
		if _, err := f.system().prepareInstall(s); err == nil || !strings.Contains(err.Error(), "is a system directory") {
			t.Errorf("data dir %s: %v", dir, err)
		}
		if len(f.cmds) > 0 || len(f.chowned) > 0 {
			t.Errorf("data dir %s: changed the system before refusing: %q %q", dir, f.cmds, f.chowned)
		}
	}
}

func TestLinuxCheckInstall(t *testing.T) {
	tests := []struct {
		name     string
		euid     int
		platform string
		files    []string
		want     string
	}{
		{"root on systemd", 0, "linux-systemd", nil, ""},
		{"not root", 1000, "linux-systemd", nil, "this needs root: run it with sudo"},
		{"not systemd", 0, "unix-systemv", nil, "this system's service manager is unix-systemv"},
		{"package installed", 0, "linux-systemd", []string{"/lib/systemd/system/storeedge.service"}, "the storeedge package installed it already"},
	}
	for _, tc := range tests {
		f := newFakeLinux()
		f.euid = tc.euid
		for _, p := range tc.files {
			f.files[p] = true
		}
		err := f.system().checkInstall(PackageSettings(), tc.platform)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestLinuxCheckUninstall(t *testing.T) {
	f := newFakeLinux()
	f.files["/lib/systemd/system/storeedge.service"] = true
	if err := f.system().checkUninstall(PackageSettings()); err == nil || !strings.Contains(err.Error(), "apt remove storeedge") {
		t.Errorf("package unit only: %v", err)
	}
	f.files["/etc/systemd/system/storeedge.service"] = true
	if err := f.system().checkUninstall(PackageSettings()); err != nil {
		t.Errorf("unit installed by hand: %v", err)
	}
	f.euid = 1000
	if err := f.system().checkUninstall(PackageSettings()); err == nil || !strings.Contains(err.Error(), "sudo") {
		t.Errorf("not root: %v", err)
	}
}

func TestLinuxExplain(t *testing.T) {
	f := newFakeLinux()
	err := f.system().explain("start the service", errors.New("exit status 1"))
	if want := "start the service: exit status 1 (see 'systemctl status storeedge' and 'journalctl -u storeedge')"; err.Error() != want {
		t.Errorf("root: %q", err)
	}
	f.euid = 1000
	if err := f.system().explain("stop the service", errors.New("exit status 1")); !strings.Contains(err.Error(), "run it as root (sudo)") {
		t.Errorf("not root: %q", err)
	}
}
