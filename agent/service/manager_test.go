package service

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	kservice "github.com/kardianos/service"
)

// fakeCtl is a service manager in memory; calls records what was asked.
type fakeCtl struct {
	settings  Settings
	installed bool
	running   bool
	failed    bool
	// runningFor: how many Status calls still say running after Stop.
	runningFor int
	stopping   bool
	calls      *[]string
	errs       map[string]error
}

func (f *fakeCtl) call(name string) error {
	*f.calls = append(*f.calls, name)
	return f.errs[name]
}

func (f *fakeCtl) Install() error {
	if err := f.call("install"); err != nil {
		return err
	}
	f.installed = true
	return nil
}

func (f *fakeCtl) Uninstall() error {
	if err := f.call("uninstall"); err != nil {
		return err
	}
	f.installed = false
	return nil
}

func (f *fakeCtl) Start() error {
	if err := f.call("start"); err != nil {
		return err
	}
	f.running = true
	return nil
}

func (f *fakeCtl) Stop() error {
	if err := f.call("stop"); err != nil {
		return err
	}
	f.stopping = true
	return nil
}

func (f *fakeCtl) Restart() error { return f.call("restart") }

func (f *fakeCtl) Status() (kservice.Status, error) {
	*f.calls = append(*f.calls, "status")
	switch {
	case !f.installed:
		return kservice.StatusUnknown, kservice.ErrNotInstalled
	case f.failed:
		return kservice.StatusUnknown, errors.New("service in failed state")
	case f.running && f.stopping && f.runningFor == 0:
		f.running, f.stopping = false, false
	case f.running:
		if f.stopping {
			f.runningFor--
		}
		return kservice.StatusRunning, nil
	}
	return kservice.StatusStopped, nil
}

func (f *fakeCtl) Platform() string { return "linux-systemd" }

// fakeSys is the operating system around the service manager.
type fakeSys struct {
	calls      *[]string
	errs       map[string]error
	dropGroups bool
}

func (f *fakeSys) supports(string) error { return f.errs["supports"] }

func (f *fakeSys) checkInstall(s Settings, platform string) error {
	*f.calls = append(*f.calls, "check "+platform)
	return f.errs["check"]
}

func (f *fakeSys) prepareInstall(s Settings) (Settings, error) {
	*f.calls = append(*f.calls, "prepare")
	if f.dropGroups {
		s.Groups = []string{"lp"}
	}
	return s, f.errs["prepare"]
}

func (f *fakeSys) finishInstall(Settings) error {
	*f.calls = append(*f.calls, "finish")
	return f.errs["finish"]
}

func (f *fakeSys) checkUninstall(Settings) error {
	*f.calls = append(*f.calls, "check uninstall")
	return f.errs["check uninstall"]
}

func (f *fakeSys) explain(what string, err error) error {
	return errors.New(what + ": " + err.Error() + " (hint)")
}

type managerFixture struct {
	m     *Manager
	ctl   *fakeCtl
	sys   *fakeSys
	calls []string
	// made lists the settings each controller was made with.
	made []Settings
}

func newFixture(t *testing.T, edit func(*managerFixture)) *managerFixture {
	t.Helper()
	fx := &managerFixture{}
	fx.ctl = &fakeCtl{calls: &fx.calls, errs: map[string]error{}}
	fx.sys = &fakeSys{calls: &fx.calls, errs: map[string]error{}}
	if edit != nil {
		edit(fx)
	}
	newCtl := func(s Settings) (controller, error) {
		fx.made = append(fx.made, s)
		fx.ctl.settings = s
		return fx.ctl, nil
	}
	m, err := newManager(PackageSettings(), newCtl, fx.sys)
	if err != nil {
		t.Fatal(err)
	}
	m.poll = time.Millisecond
	fx.m = m
	return fx
}

func TestManagerInstall(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*managerFixture)
		wantErr   string
		wantCalls []string
		installed bool
	}{
		{
			name:      "fresh install",
			wantCalls: []string{"check linux-systemd", "status", "prepare", "install", "finish"},
			installed: true,
		},
		{
			name:      "already installed",
			edit:      func(fx *managerFixture) { fx.ctl.installed = true },
			wantErr:   "already installed (stopped): run 'storeedge uninstall' first",
			wantCalls: []string{"check linux-systemd", "status"},
			installed: true,
		},
		{
			name:      "refused before anything changes",
			edit:      func(fx *managerFixture) { fx.sys.errs["check"] = errors.New("install the service: this needs root") },
			wantErr:   "this needs root",
			wantCalls: []string{"check linux-systemd"},
		},
		{
			name:      "the service manager fails",
			edit:      func(fx *managerFixture) { fx.ctl.errs["install"] = errors.New("Init already exists") },
			wantErr:   "install the service: Init already exists (hint)",
			wantCalls: []string{"check linux-systemd", "status", "prepare", "install"},
		},
		{
			name:      "finishing fails: the half install is undone",
			edit:      func(fx *managerFixture) { fx.sys.errs["finish"] = errors.New("set recovery actions: denied") },
			wantErr:   "set recovery actions: denied",
			wantCalls: []string{"check linux-systemd", "status", "prepare", "install", "finish", "uninstall"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, tc.edit)
			err := fx.m.Install()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Install() = %v, want %q", err, tc.wantErr)
			}
			if !slices.Equal(fx.calls, tc.wantCalls) {
				t.Errorf("calls %q, want %q", fx.calls, tc.wantCalls)
			}
			if fx.ctl.installed != tc.installed {
				t.Errorf("installed = %v, want %v", fx.ctl.installed, tc.installed)
			}
		})
	}
}

// What prepareInstall adjusts (groups this system lacks) is what gets
// installed.
func TestManagerInstallAdjustedSettings(t *testing.T) {
	fx := newFixture(t, func(fx *managerFixture) { fx.sys.dropGroups = true })
	if err := fx.m.Install(); err != nil {
		t.Fatal(err)
	}
	if len(fx.made) != 2 || !slices.Equal(fx.made[1].Groups, []string{"lp"}) || !slices.Equal(fx.m.Settings().Groups, []string{"lp"}) {
		t.Errorf("controllers made with %v; manager settings %v", fx.made, fx.m.Settings())
	}
}

func TestManagerUninstall(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*managerFixture)
		wantErr   string
		wantCalls []string
	}{
		{
			name:      "stopped",
			edit:      func(fx *managerFixture) { fx.ctl.installed = true },
			wantCalls: []string{"status", "check uninstall", "uninstall"},
		},
		{
			name:      "running: stopped first, and waited for",
			edit:      func(fx *managerFixture) { fx.ctl.installed, fx.ctl.running, fx.ctl.runningFor = true, true, 2 },
			wantCalls: []string{"status", "check uninstall", "status", "stop", "status", "status", "status", "uninstall"},
		},
		{
			name:      "not installed",
			wantErr:   "not installed",
			wantCalls: []string{"status"},
		},
		{
			name: "installed by the package",
			edit: func(fx *managerFixture) {
				fx.ctl.installed = true
				fx.sys.errs["check uninstall"] = errors.New("the storeedge package installed it")
			},
			wantErr:   "package installed it",
			wantCalls: []string{"status", "check uninstall"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, tc.edit)
			err := fx.m.Uninstall()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Uninstall() = %v, want %q", err, tc.wantErr)
			}
			if !slices.Equal(fx.calls, tc.wantCalls) {
				t.Errorf("calls %q, want %q", fx.calls, tc.wantCalls)
			}
		})
	}
}

func TestManagerControl(t *testing.T) {
	fx := newFixture(t, func(fx *managerFixture) { fx.ctl.installed = true })
	if err := fx.m.Start(); err != nil {
		t.Fatal(err)
	}
	if st, err := fx.m.Status(); st != StateRunning || err != nil {
		t.Errorf("after start: %v, %v", st, err)
	}
	if err := fx.m.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := fx.m.Stop(); err != nil {
		t.Fatal(err)
	}
	if st, err := fx.m.Status(); st != StateStopped || err != nil {
		t.Errorf("after stop: %v, %v", st, err)
	}
	fx.ctl.errs["start"] = errors.New("exit status 1")
	if err := fx.m.Start(); err == nil || err.Error() != "start the service: exit status 1 (hint)" {
		t.Errorf("failed start: %v", err)
	}
	fx.ctl.failed = true
	if st, err := fx.m.Status(); st != StateFailed || err != nil {
		t.Errorf("failed unit: %v, %v", st, err)
	}

	none := newFixture(t, nil)
	for name, f := range map[string]func() error{"start": none.m.Start, "stop": none.m.Stop, "restart": none.m.Restart} {
		if err := f(); !errors.Is(err, ErrNotInstalled) {
			t.Errorf("%s when not installed: %v", name, err)
		}
	}
	if st, err := none.m.Status(); st != StateNotInstalled || !errors.Is(err, ErrNotInstalled) {
		t.Errorf("status when not installed: %v, %v", st, err)
	}
	if slices.Contains(none.calls, "start") || slices.Contains(none.calls, "stop") {
		t.Errorf("the service manager was asked to act on a service that is not there: %q", none.calls)
	}
}

func TestStateString(t *testing.T) {
	for st, want := range map[State]string{StateUnknown: "unknown", StateNotInstalled: "not installed", StateStopped: "stopped", StateRunning: "running", StateFailed: "failed"} {
		if st.String() != want {
			t.Errorf("%d: %q", st, st.String())
		}
	}
}

// On a system storeedge cannot be a service of (Linux without systemd),
// status says not installed and why; start and stop refuse.
func TestManagerUnsupportedSystem(t *testing.T) {
	fx := newFixture(t, func(fx *managerFixture) {
		fx.sys.errs["supports"] = errors.New("this system's service manager is unix-systemv")
	})
	st, err := fx.m.Status()
	if st != StateNotInstalled || !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "unix-systemv") {
		t.Errorf("Status() = %v, %v", st, err)
	}
	if err := fx.m.Start(); err == nil || !strings.Contains(err.Error(), "unix-systemv") {
		t.Errorf("Start() = %v", err)
	}
	if len(fx.calls) != 0 {
		t.Errorf("the service manager was asked: %q", fx.calls)
	}
}
