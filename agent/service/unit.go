package service

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// stopMargin is how much longer than StopTimeout systemd and the installer
// wait before killing the process: the time to close the queue and exit.
const stopMargin = 15 * time.Second

// SystemdUnit renders the systemd unit of s: a system service that starts
// after the network is up, runs `storeedge run` as s.User with the printer
// and serial port groups, restarts whenever it stops on its own (but not on
// a config error, exit status 2, which a restart cannot fix), and gives a
// stop StopTimeout plus a margin.
func SystemdUnit(s Settings) (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	if s.User == "" {
		return "", fmt.Errorf("service user: empty")
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	desc := s.DisplayName
	if desc == "" {
		desc = s.Name
	}
	w("[Unit]")
	w("Description=%s", escapeSpecifiers(desc))
	w("Wants=network-online.target")
	w("After=network-online.target")
	w("# Keep restarting however often it fails: nobody in the shop restarts it by hand.")
	w("StartLimitIntervalSec=0")
	w("")
	w("[Service]")
	w("Type=simple")
	w("User=%s", s.User)
	w("Group=%s", s.User)
	if len(s.Groups) > 0 {
		w("SupplementaryGroups=%s", strings.Join(s.Groups, " "))
	}
	w("Environment=%s=1", EnvService)
	args := []string{execArg(s.Executable)}
	for _, a := range s.Arguments() {
		args = append(args, execArg(a))
	}
	w("ExecStart=%s", strings.Join(args, " "))
	if dir, ok := stateDirectory(s.DataDir); ok {
		w("# Made and given to the service user by systemd when missing.")
		w("StateDirectory=%s", dir)
		w("StateDirectoryMode=0750")
	}
	w("UMask=0027")
	w("Restart=always")
	w("RestartSec=5")
	w("# Exit status 2 is a config error: fix the config, then start the service.")
	w("RestartPreventExitStatus=2")
	w("TimeoutStopSec=%d", int((s.StopTimeout+stopMargin).Round(time.Second)/time.Second))
	w("NoNewPrivileges=yes")
	w("ProtectSystem=full")
	w("ProtectHome=read-only")
	w("PrivateTmp=yes")
	w("ProtectKernelTunables=yes")
	w("ProtectKernelModules=yes")
	w("ProtectControlGroups=yes")
	w("RestrictSUIDSGID=yes")
	w("LockPersonality=yes")
	w("")
	w("[Install]")
	w("WantedBy=multi-user.target")
	return b.String(), nil
}

// stateDirectory gives the StateDirectory= name of a data directory right
// under /var/lib.
func stateDirectory(dataDir string) (string, bool) {
	dir, name := path.Split(path.Clean(dataDir))
	if dir != "/var/lib/" || name == "" || strings.ContainsAny(name, " %\\\"'") {
		return "", false
	}
	return name, true
}

// execArg quotes one word of an ExecStart= line: % and $ are doubled so
// systemd takes them literally, and a word with blanks, quotes or
// backslashes is double-quoted with C escapes.
func execArg(s string) string {
	s = strings.NewReplacer("%", "%%", "$", "$$").Replace(s)
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func escapeSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }
