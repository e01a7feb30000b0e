package service

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// linuxSystem installs on a systemd Linux. Its fields reach the operating
// system; tests replace them.
type linuxSystem struct {
	euid        func() int
	lookupUser  func(name string) (*user.User, error)
	lookupGroup func(name string) (*user.Group, error)
	groupIDs    func(u *user.User) ([]string, error)
	command     func(name string, args ...string) (string, error)
	lookPath    func(name string) (string, error)
	stat        func(path string) (fs.FileInfo, error)
	mkdirAll    func(path string, perm fs.FileMode) error
	lchown      func(path string, uid, gid int) error
	walkDir     func(root string, fn fs.WalkDirFunc) error
	// packageUnits are where a distribution package puts its unit.
	packageUnits []string
}

func newHostSystem() system {
	return &linuxSystem{
		euid:        os.Geteuid,
		lookupUser:  user.Lookup,
		lookupGroup: user.LookupGroup,
		groupIDs:    (*user.User).GroupIds,
		command: func(name string, args ...string) (string, error) {
			out, err := exec.Command(name, args...).CombinedOutput()
			return strings.TrimSpace(string(out)), err
		},
		lookPath: exec.LookPath,
		stat:     os.Stat,
		mkdirAll: os.MkdirAll,
		lchown:   os.Lchown,
		walkDir:  filepath.WalkDir,
		packageUnits: []string{
			"/lib/systemd/system/" + Name + ".service",
			"/usr/lib/systemd/system/" + Name + ".service",
		},
	}
}

var errNeedsRoot = errors.New("this needs root: run it with sudo")

func (l *linuxSystem) supports(platform string) error {
	if platform != "linux-systemd" {
		return fmt.Errorf("this system's service manager is %s, and storeedge runs as a systemd service only; "+
			"start 'storeedge run --config FILE' from your init system instead", platform)
	}
	return nil
}

func (l *linuxSystem) checkInstall(s Settings, platform string) error {
	if l.euid() != 0 {
		return fmt.Errorf("install the service: %w", errNeedsRoot)
	}
	if err := l.supports(platform); err != nil {
		return fmt.Errorf("install the service: %w", err)
	}
	if s.Name == Name {
		for _, p := range l.packageUnits {
			if _, err := l.stat(p); err == nil {
				return fmt.Errorf("install the service: the storeedge package installed it already (%s): "+
					"control it with 'storeedge start', 'stop' and 'status'; remove the package to install by hand instead", p)
			}
		}
	}
	return nil
}

// systemDirs may not be a data directory: installing gives the data
// directory and everything in it to the service user.
var systemDirs = []string{"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/media", "/mnt", "/opt",
	"/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/local", "/var", "/var/lib", "/var/tmp"}

// prepareInstall makes the service user and its group, adds the user to the
// printer and serial groups this system has (leaving the others out of the
// unit), makes the data directory and gives it to the user, and checks that
// the user can read the config.
func (l *linuxSystem) prepareInstall(s Settings) (Settings, error) {
	if slices.Contains(systemDirs, filepath.Clean(s.DataDir)) {
		return s, fmt.Errorf("install the service: data directory %s is a system directory; set agent.data_dir to a directory of its own, such as /var/lib/storeedge", s.DataDir)
	}
	if _, err := l.lookupGroup(s.User); err != nil {
		if _, err := l.command("groupadd", "--system", s.User); err != nil {
			return s, fmt.Errorf("create group %s: %w", s.User, err)
		}
	}
	u, err := l.lookupUser(s.User)
	if err != nil {
		if out, err := l.command("useradd", "--system", "--gid", s.User, "--home-dir", s.DataDir, "--no-create-home",
			"--shell", "/usr/sbin/nologin", "--comment", "storeedge service", s.User); err != nil {
			return s, fmt.Errorf("create user %s: %w: %s", s.User, err, out)
		}
		if u, err = l.lookupUser(s.User); err != nil {
			return s, fmt.Errorf("create user %s: %w", s.User, err)
		}
	}
	have, err := l.groupIDs(u)
	if err != nil {
		return s, fmt.Errorf("groups of user %s: %w", s.User, err)
	}
	var groups []string
	for _, name := range s.Groups {
		g, err := l.lookupGroup(name)
		if err != nil {
			continue // this system has no such group
		}
		groups = append(groups, name)
		if slices.Contains(have, g.Gid) {
			continue
		}
		if out, err := l.command("usermod", "--append", "--groups", name, s.User); err != nil {
			return s, fmt.Errorf("add user %s to group %s: %w: %s", s.User, name, err, out)
		}
	}
	s.Groups = groups

	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return s, fmt.Errorf("user %s: %w", s.User, err)
	}
	if err := l.mkdirAll(s.DataDir, 0o750); err != nil {
		return s, fmt.Errorf("make data directory: %w", err)
	}
	// A run by hand as root may have left files the service could not open.
	err = l.walkDir(s.DataDir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return l.lchown(p, uid, gid)
	})
	if err != nil {
		return s, fmt.Errorf("give data directory %s to user %s: %w", s.DataDir, s.User, err)
	}

	if _, err := l.lookPath("runuser"); err == nil {
		out, err := l.command("runuser", "-u", s.User, "--", s.Executable, "check-config", "--config", s.Config)
		if err != nil {
			return s, fmt.Errorf("the service user %s cannot use config %s: %s\n"+
				"make it (and any file: secrets) readable to group %s, e.g. chgrp %s %s && chmod g+r %s",
				s.User, s.Config, out, s.User, s.User, s.Config, s.Config)
		}
	}
	return s, nil
}

func (l *linuxSystem) finishInstall(Settings) error { return nil }

func (l *linuxSystem) checkUninstall(s Settings) error {
	if l.euid() != 0 {
		return fmt.Errorf("uninstall the service: %w", errNeedsRoot)
	}
	if s.Name != Name {
		return nil
	}
	if _, err := l.stat("/etc/systemd/system/" + s.Name + ".service"); err == nil {
		return nil
	}
	for _, p := range l.packageUnits {
		if _, err := l.stat(p); err == nil {
			return fmt.Errorf("uninstall the service: the storeedge package installed it (%s): remove the package instead (apt remove storeedge)", p)
		}
	}
	return nil
}

func (l *linuxSystem) explain(what string, err error) error {
	hint := fmt.Sprintf("see 'systemctl status %s' and 'journalctl -u %s'", Name, Name)
	if l.euid() != 0 {
		hint = "run it as root (sudo), or " + hint
	}
	return fmt.Errorf("%s: %w (%s)", what, err, hint)
}
