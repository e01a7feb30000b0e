package service

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/mgr"
)

// windowsSystem installs with the Service Control Manager.
type windowsSystem struct{}

func newHostSystem() system { return windowsSystem{} }

var errNeedsAdmin = errors.New("this needs an administrator: run it from a command prompt opened with 'Run as administrator'")

func (windowsSystem) supports(string) error { return nil }

func (windowsSystem) checkInstall(s Settings, platform string) error {
	if !windows.GetCurrentProcessToken().IsElevated() {
		return fmt.Errorf("install the service: %w", errNeedsAdmin)
	}
	return nil
}

func (windowsSystem) prepareInstall(s Settings) (Settings, error) {
	if err := os.MkdirAll(s.DataDir, 0o750); err != nil {
		return s, fmt.Errorf("make data directory: %w", err)
	}
	return s, nil
}

// finishInstall sets every recovery action (the service manager's install
// sets only the first) and applies them to error exits too.
func (windowsSystem) finishInstall(s Settings) error {
	w := WindowsSettings(s)
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("set recovery actions: %w", err)
	}
	defer m.Disconnect()
	svc, err := m.OpenService(s.Name)
	if err != nil {
		return fmt.Errorf("set recovery actions: %w", err)
	}
	defer svc.Close()
	var actions []mgr.RecoveryAction
	for _, a := range w.Recovery {
		actions = append(actions, mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: a.Delay})
	}
	if err := svc.SetRecoveryActions(actions, uint32(w.ResetPeriod.Seconds())); err != nil {
		return fmt.Errorf("set recovery actions: %w", err)
	}
	if err := svc.SetRecoveryActionsOnNonCrashFailures(w.RecoveryOnNonCrashFailures); err != nil {
		return fmt.Errorf("set recovery on error exits: %w", err)
	}
	return nil
}

func (windowsSystem) checkUninstall(Settings) error { return nil }

func (windowsSystem) explain(what string, err error) error {
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return fmt.Errorf("%s: %w", what, errNeedsAdmin)
	}
	return fmt.Errorf("%s: %w (see the Application event log, source %s)", what, err, Name)
}
