// Package service installs, controls and runs storeedge as an operating
// system service: a systemd unit on Linux, a service of the Service Control
// Manager on Windows. It wraps github.com/kardianos/service behind Settings
// (what is installed), Manager (install, uninstall, start, stop, restart,
// status) and Run (the installed service re-running the binary's `run`).
package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	kservice "github.com/kardianos/service"
)

// Defaults.
const (
	// Name is the service's name: the systemd unit storeedge.service, the
	// Windows service storeedge, the user it runs as on Linux.
	Name        = "storeedge"
	DisplayName = "storeedge order printing"
	Description = "Prints the store's online orders on the store's receipt and kitchen printers, and shows their state on a local status page."
	// DefaultStopTimeout is how long a stop waits for printers to finish the
	// tickets they are writing. The service manager waits longer.
	DefaultStopTimeout = 20 * time.Second
	// EnvService in the environment says how `run` was started: "1" as the
	// installed service (the unit sets it), "0" by hand. When unset, the
	// service manager is asked.
	EnvService = "STOREEDGE_SERVICE"
)

// DefaultGroups are the Linux groups that own printers (lp: /dev/usb/lp*)
// and serial ports (dialout: /dev/ttyS*, /dev/ttyUSB*).
var DefaultGroups = []string{"lp", "dialout"}

// Settings are what gets installed.
type Settings struct {
	Name        string
	DisplayName string
	Description string
	// Executable is the absolute path of the storeedge binary the service
	// runs; Config the absolute path of its config file; DataDir the
	// config's data directory (made and given to User when installing).
	Executable string
	Config     string
	DataDir    string
	// User and Groups: on Linux the system user the service runs as and its
	// supplementary groups. Windows services run as LocalSystem.
	User   string
	Groups []string
	// StopTimeout as in DefaultStopTimeout.
	StopTimeout time.Duration
}

// Defaults are the settings of the installed service, without the paths.
func Defaults() Settings {
	return Settings{
		Name:        Name,
		DisplayName: DisplayName,
		Description: Description,
		User:        Name,
		Groups:      append([]string(nil), DefaultGroups...),
		StopTimeout: DefaultStopTimeout,
	}
}

// PackageSettings are the settings of the Linux package: the binary in
// /usr/bin, the config in /etc/storeedge, the data in /var/lib/storeedge.
func PackageSettings() Settings {
	s := Defaults()
	s.Executable = "/usr/bin/storeedge"
	s.Config = "/etc/storeedge/storeedge.toml"
	s.DataDir = "/var/lib/storeedge"
	return s
}

// Validate says what is wrong with s, naming the setting.
func (s Settings) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("service %s: %s", field, fmt.Sprintf(format, a...)))
	}
	if s.Name == "" {
		bad("name", "empty")
	} else if strings.IndexFunc(s.Name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0 {
		bad("name", "%q: use letters, digits, '-' and '_' only", s.Name)
	}
	for _, f := range []struct{ name, path string }{{"executable", s.Executable}, {"config", s.Config}, {"data directory", s.DataDir}} {
		switch {
		case f.path == "":
			bad(f.name, "empty")
		case !isAbs(f.path):
			bad(f.name, "%q is not an absolute path", f.path)
		case strings.IndexFunc(f.path, unicode.IsControl) >= 0:
			bad(f.name, "%q holds a control character", f.path)
		case strings.Contains(f.path, "{{"):
			bad(f.name, "%q holds \"{{\"", f.path)
		}
	}
	for _, f := range []struct{ name, v string }{{"display name", s.DisplayName}, {"description", s.Description}} {
		if strings.IndexFunc(f.v, unicode.IsControl) >= 0 || strings.Contains(f.v, "{{") {
			bad(f.name, "%q holds a control character or \"{{\"", f.v)
		}
	}
	for _, u := range append([]string{s.User}, s.Groups...) {
		if u != "" && !validUnixName(u) {
			bad("user or group", "%q is not a valid name", u)
		}
	}
	if s.StopTimeout <= 0 {
		bad("stop timeout", "%v is not positive", s.StopTimeout)
	}
	return errors.Join(errs...)
}

// isAbs accepts absolute paths of either system, so that settings for one
// can be made and checked on the other.
func isAbs(p string) bool {
	if strings.HasPrefix(p, "/") {
		return true
	}
	return len(p) >= 3 && unicode.IsLetter(rune(p[0])) && p[1] == ':' && (p[2] == '\\' || p[2] == '/') ||
		strings.HasPrefix(p, `\\`)
}

func validUnixName(s string) bool {
	if s == "" || len(s) > 32 || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Arguments are the service's command line after the executable.
func (s Settings) Arguments() []string {
	args := []string{"run", "--config", s.Config}
	if s.StopTimeout != DefaultStopTimeout {
		args = append(args, "--stop-timeout", s.StopTimeout.String())
	}
	return args
}

// ForInstall fills Executable with the running binary and makes Config and
// DataDir absolute.
func (s Settings) ForInstall(config, dataDir string) (Settings, error) {
	exe, err := os.Executable()
	if err != nil {
		return s, fmt.Errorf("find this program's path: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	s.Executable = exe
	if s.Config, err = filepath.Abs(config); err != nil {
		return s, fmt.Errorf("config path: %w", err)
	}
	if s.DataDir, err = filepath.Abs(dataDir); err != nil {
		return s, fmt.Errorf("data directory: %w", err)
	}
	return s, nil
}

// kardianosConfig is the kardianos configuration of s for goos.
func (s Settings) kardianosConfig(goos string) (*kservice.Config, error) {
	c := &kservice.Config{
		Name:        s.Name,
		DisplayName: s.DisplayName,
		Description: s.Description,
		Executable:  s.Executable,
		Arguments:   s.Arguments(),
		Option:      kservice.KeyValue{},
	}
	switch goos {
	case "windows":
		w := WindowsSettings(s)
		c.Dependencies = w.Dependencies
		c.Option["StartType"] = w.StartType
		c.Option["DelayedAutoStart"] = w.DelayedAutoStart
		// The first action only: finishInstall on Windows sets all of them.
		c.Option["OnFailure"] = "restart"
		c.Option["OnFailureDelayDuration"] = w.Recovery[0].Delay.String()
		c.Option["OnFailureResetPeriod"] = int(w.ResetPeriod / time.Second)
	default:
		unit, err := SystemdUnit(s)
		if err != nil {
			return nil, err
		}
		c.UserName = s.User
		c.Option["SystemdScript"] = unit
	}
	return c, nil
}

// RunningAsService says whether this process was started by the service
// manager: EnvService when set, else what the service manager says.
func RunningAsService() bool {
	switch os.Getenv(EnvService) {
	case "1":
		return true
	case "0":
		return false
	}
	return !kservice.Interactive()
}

// Platform names the service manager storeedge would install into, such as
// linux-systemd or windows-service.
func Platform() string { return kservice.Platform() }
