package service

import (
	"fmt"
	"strings"
	"time"
)

// WindowsService is how storeedge is registered with the Windows Service
// Control Manager.
type WindowsService struct {
	Name, DisplayName, Description string
	// CommandLine is the service's binary path name: the quoted executable
	// and the arguments of `run`.
	CommandLine string
	// StartType is "automatic": the service starts at boot.
	StartType        string
	DelayedAutoStart bool
	// Account is LocalSystem, which may use the spooler and COM ports and
	// write to %ProgramData%.
	Account      string
	Dependencies []string
	// Recovery: what the Service Control Manager does after the first,
	// second and later failures, and after how long without a failure it
	// counts from the first again.
	Recovery    []RecoveryAction
	ResetPeriod time.Duration
	// RecoveryOnNonCrashFailures applies Recovery also when the service
	// stops with an error code rather than crashing (a start that fails).
	RecoveryOnNonCrashFailures bool
	// EventSource is the event log source the service writes to.
	EventSource string
	// StopWait is how long stopping the service may take.
	StopWait time.Duration
}

// RecoveryAction restarts the service after Delay.
type RecoveryAction struct {
	Delay time.Duration
}

// WindowsSettings are the Windows service settings of s.
func WindowsSettings(s Settings) WindowsService {
	args := []string{windowsArg(s.Executable)}
	for _, a := range s.Arguments() {
		args = append(args, windowsArg(a))
	}
	return WindowsService{
		Name:         s.Name,
		DisplayName:  s.DisplayName,
		Description:  s.Description,
		CommandLine:  strings.Join(args, " "),
		StartType:    "automatic",
		Account:      "LocalSystem",
		Dependencies: []string{"Tcpip"},
		Recovery: []RecoveryAction{
			{Delay: 5 * time.Second},
			{Delay: 10 * time.Second},
			{Delay: time.Minute},
		},
		ResetPeriod:                24 * time.Hour,
		RecoveryOnNonCrashFailures: true,
		EventSource:                s.Name,
		StopWait:                   s.StopTimeout + stopMargin,
	}
}

// String lists the settings one per line, as `install --print` shows them.
func (w WindowsService) String() string {
	var b strings.Builder
	f := func(k, format string, a ...any) { fmt.Fprintf(&b, "%-26s %s\n", k+":", fmt.Sprintf(format, a...)) }
	f("service name", "%s", w.Name)
	f("display name", "%s", w.DisplayName)
	f("description", "%s", w.Description)
	f("command line", "%s", w.CommandLine)
	start := w.StartType
	if w.DelayedAutoStart {
		start += " (delayed)"
	}
	f("start type", "%s", start)
	f("account", "%s", w.Account)
	f("depends on", "%s", strings.Join(w.Dependencies, ", "))
	for i, a := range w.Recovery {
		name := fmt.Sprintf("failure %d", i+1)
		if i == len(w.Recovery)-1 {
			name += " and later"
		}
		f(name, "restart the service after %s", a.Delay)
	}
	f("reset failure count after", "%s", w.ResetPeriod)
	f("recover on error exits", "%v", w.RecoveryOnNonCrashFailures)
	f("event log source", "Application/%s", w.EventSource)
	f("stop may take", "%s", w.StopWait)
	return b.String()
}

// windowsArg quotes one argument the way Windows programs split their
// command line (as syscall.EscapeArg does): quoted when it holds blanks or
// quotes, with backslashes before a quote doubled.
func windowsArg(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}
