package service

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	kservice "github.com/kardianos/service"
)

// State is what the service manager says about the service.
type State int

// States.
const (
	StateUnknown State = iota
	StateNotInstalled
	StateStopped
	StateRunning
	StateFailed // stopped on an error (systemd's failed state)
)

func (s State) String() string {
	switch s {
	case StateNotInstalled:
		return "not installed"
	case StateStopped:
		return "stopped"
	case StateRunning:
		return "running"
	case StateFailed:
		return "failed"
	}
	return "unknown"
}

// ErrNotInstalled means the service is not installed.
var ErrNotInstalled = errors.New("the storeedge service is not installed")

// controller is the part of kardianos's Service the Manager uses.
type controller interface {
	Install() error
	Uninstall() error
	Start() error
	Stop() error
	Restart() error
	Status() (kservice.Status, error)
	Platform() string
}

// Manager installs and controls the service.
type Manager struct {
	s      Settings
	newCtl func(Settings) (controller, error)
	ctl    controller
	sys    system
	// wait and poll bound how long Uninstall waits for a stop to show.
	wait, poll time.Duration
}

// NewManager makes a Manager for s. Commands that only control an installed
// service (start, stop, status) need only s.Name.
func NewManager(s Settings) (*Manager, error) {
	return newManager(s, newKardianos, newHostSystem())
}

func newManager(s Settings, newCtl func(Settings) (controller, error), sys system) (*Manager, error) {
	ctl, err := newCtl(s)
	if err != nil {
		return nil, err
	}
	wait := s.StopTimeout + stopMargin
	if s.StopTimeout <= 0 {
		wait = DefaultStopTimeout + stopMargin
	}
	return &Manager{s: s, newCtl: newCtl, ctl: ctl, sys: sys, wait: wait, poll: 200 * time.Millisecond}, nil
}

func newKardianos(s Settings) (controller, error) {
	c, err := s.controlConfig(runtime.GOOS)
	if err != nil {
		return nil, err
	}
	ks, err := kservice.New(noProgram{}, c)
	if err != nil {
		return nil, fmt.Errorf("service manager: %w", err)
	}
	return ks, nil
}

// controlConfig is the kardianos config: the full one when s can be
// installed, else the name only.
func (s Settings) controlConfig(goos string) (*kservice.Config, error) {
	if s.Executable == "" && s.Config == "" {
		if s.Name == "" {
			return nil, errors.New("service name: empty")
		}
		return &kservice.Config{Name: s.Name, DisplayName: s.DisplayName, Description: s.Description}, nil
	}
	return s.kardianosConfig(goos)
}

// noProgram stands in for the program when only managing the service.
type noProgram struct{}

func (noProgram) Start(kservice.Service) error { return nil }
func (noProgram) Stop(kservice.Service) error  { return nil }

// Settings are the manager's settings.
func (m *Manager) Settings() Settings { return m.s }

// Install installs the service so that it starts at boot; it does not start
// it. On Linux it also creates the service user and the data directory.
func (m *Manager) Install() error {
	if err := m.s.Validate(); err != nil {
		return err
	}
	if err := m.sys.checkInstall(m.s, m.ctl.Platform()); err != nil {
		return err
	}
	switch st, err := m.Status(); {
	case err != nil && !errors.Is(err, ErrNotInstalled):
		return err
	case st != StateNotInstalled:
		return fmt.Errorf("the %s service is already installed (%s): run 'storeedge uninstall' first to install it again", m.s.Name, st)
	}
	s, err := m.sys.prepareInstall(m.s)
	if err != nil {
		return err
	}
	if m.ctl, err = m.newCtl(s); err != nil {
		return err
	}
	m.s = s
	if err := m.ctl.Install(); err != nil {
		return m.sys.explain("install the service", err)
	}
	if err := m.sys.finishInstall(m.s); err != nil {
		// Half installed is worse than not installed.
		if uerr := m.ctl.Uninstall(); uerr != nil {
			err = errors.Join(err, fmt.Errorf("undo install: %w", uerr))
		}
		return err
	}
	return nil
}

// Uninstall stops the service when it runs and removes it. The config, the
// data directory (queue and logs) and the Linux user stay.
func (m *Manager) Uninstall() error {
	st, err := m.Status()
	if errors.Is(err, ErrNotInstalled) {
		return err
	}
	if err := m.sys.checkUninstall(m.s); err != nil {
		return err
	}
	if st == StateRunning {
		if err := m.Stop(); err != nil {
			return err
		}
		m.waitStopped()
	}
	if err := m.ctl.Uninstall(); err != nil {
		return m.sys.explain("uninstall the service", err)
	}
	return nil
}

// waitStopped waits until the service manager says the service stopped, at
// most m.wait.
func (m *Manager) waitStopped() {
	for deadline := time.Now().Add(m.wait); time.Now().Before(deadline); time.Sleep(m.poll) {
		if st, err := m.Status(); err != nil || st != StateRunning {
			return
		}
	}
}

// Start starts the installed service and returns once the service manager
// has started it.
func (m *Manager) Start() error { return m.control("start", m.ctl.Start) }

// Stop stops the service, waiting while it finishes the tickets it prints.
func (m *Manager) Stop() error { return m.control("stop", m.ctl.Stop) }

// Restart stops and starts the service.
func (m *Manager) Restart() error { return m.control("restart", m.ctl.Restart) }

func (m *Manager) control(what string, f func() error) error {
	if _, err := m.Status(); errors.Is(err, ErrNotInstalled) {
		return err
	}
	if err := f(); err != nil {
		return m.sys.explain(what+" the service", err)
	}
	return nil
}

// Status asks the service manager about the service.
func (m *Manager) Status() (State, error) {
	if err := m.sys.supports(m.ctl.Platform()); err != nil {
		return StateNotInstalled, fmt.Errorf("%w: %w", ErrNotInstalled, err)
	}
	st, err := m.ctl.Status()
	switch {
	case errors.Is(err, kservice.ErrNotInstalled):
		return StateNotInstalled, ErrNotInstalled
	case err != nil && strings.Contains(err.Error(), "failed state"):
		return StateFailed, nil
	case err != nil:
		return StateUnknown, m.sys.explain("query the service", err)
	}
	switch st {
	case kservice.StatusRunning:
		return StateRunning, nil
	case kservice.StatusStopped:
		return StateStopped, nil
	}
	return StateUnknown, nil
}

// system is what installing needs from the operating system beyond the
// service manager.
type system interface {
	// supports says why storeedge cannot be a service of this platform's
	// service manager, or nil.
	supports(platform string) error
	// checkInstall refuses an install that cannot work here (no
	// permission, another service manager, a package that owns the service).
	checkInstall(s Settings, platform string) error
	// prepareInstall makes what the service needs before it is registered
	// (the user, the data directory) and returns the settings to install,
	// adjusted to this system.
	prepareInstall(s Settings) (Settings, error)
	// finishInstall sets what the service manager's install left out.
	finishInstall(s Settings) error
	// checkUninstall refuses to uninstall what this program did not install.
	checkUninstall(s Settings) error
	// explain adds what to do to an error of the service manager.
	explain(what string, err error) error
}
