package service

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func windowsTestSettings() Settings {
	s := Defaults()
	s.Executable = `C:\Program Files\storeedge\storeedge.exe`
	s.Config = `C:\ProgramData\storeedge\storeedge.toml`
	s.DataDir = `C:\ProgramData\storeedge`
	return s
}

func TestWindowsSettingsGolden(t *testing.T) {
	golden(t, "testdata/windows-service.txt", WindowsSettings(windowsTestSettings()).String())
}

func TestWindowsSettings(t *testing.T) {
	w := WindowsSettings(windowsTestSettings())
	if want := `"C:\Program Files\storeedge\storeedge.exe" run --config C:\ProgramData\storeedge\storeedge.toml`; w.CommandLine != want {
		t.Errorf("command line %s, want %s", w.CommandLine, want)
	}
	if w.StartType != "automatic" || w.Account != "LocalSystem" {
		t.Errorf("start type %q account %q", w.StartType, w.Account)
	}
	if len(w.Recovery) != 3 {
		t.Fatalf("%d recovery actions, want one for the first, second and later failures", len(w.Recovery))
	}
	for i, a := range w.Recovery {
		if a.Delay <= 0 || a.Delay > 5*time.Minute || (i > 0 && a.Delay < w.Recovery[i-1].Delay) {
			t.Errorf("recovery %d: delay %v; want growing delays under 5 minutes", i, a.Delay)
		}
	}
	if !w.RecoveryOnNonCrashFailures {
		t.Error("a start that fails must also be retried")
	}
	if w.ResetPeriod < time.Hour {
		t.Errorf("reset period %v", w.ResetPeriod)
	}
	if w.StopWait <= DefaultStopTimeout {
		t.Errorf("stop wait %v not longer than the program's own deadline", w.StopWait)
	}
}

// The kardianos configuration carries the same settings to the service
// manager.
func TestKardianosConfig(t *testing.T) {
	s := windowsTestSettings()
	c, err := s.kardianosConfig("windows")
	if err != nil {
		t.Fatal(err)
	}
	w := WindowsSettings(s)
	if c.Name != "storeedge" || c.DisplayName != DisplayName || c.Executable != s.Executable {
		t.Errorf("name %q display %q exe %q", c.Name, c.DisplayName, c.Executable)
	}
	if !slices.Equal(c.Arguments, []string{"run", "--config", s.Config}) {
		t.Errorf("arguments %q", c.Arguments)
	}
	if c.UserName != "" {
		t.Errorf("user %q: Windows services run as LocalSystem", c.UserName)
	}
	if !slices.Equal(c.Dependencies, w.Dependencies) {
		t.Errorf("dependencies %q", c.Dependencies)
	}
	for k, want := range map[string]any{
		"StartType":              "automatic",
		"DelayedAutoStart":       false,
		"OnFailure":              "restart",
		"OnFailureDelayDuration": "5s",
		"OnFailureResetPeriod":   86400,
	} {
		if got := c.Option[k]; got != want {
			t.Errorf("option %s = %#v, want %#v", k, got, want)
		}
	}

	l, err := PackageSettings().kardianosConfig("linux")
	if err != nil {
		t.Fatal(err)
	}
	unit, _ := SystemdUnit(PackageSettings())
	if l.Option["SystemdScript"] != unit || l.UserName != "storeedge" {
		t.Errorf("linux config: user %q, script is the unit: %v", l.UserName, l.Option["SystemdScript"] == unit)
	}
}

func TestWindowsArg(t *testing.T) {
	// The cases of syscall.EscapeArg.
	for in, want := range map[string]string{
		"":                 `""`,
		"run":              "run",
		`C:\a\b.toml`:      `C:\a\b.toml`,
		`C:\Program Files`: `"C:\Program Files"`,
		`a"b`:              `"a\"b"`,
		`a\"b`:             `"a\\\"b"`,
		`C:\dir with\ `:    `"C:\dir with\ "`,
		`C:\dir with\`:     `"C:\dir with\\"`,
		"tab\there":        "\"tab\there\"",
	} {
		if got := windowsArg(in); got != want {
			t.Errorf("windowsArg(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	ok := PackageSettings()
	if err := ok.Validate(); err != nil {
		t.Fatalf("package settings: %v", err)
	}
	if err := windowsTestSettings().Validate(); err != nil {
		t.Fatalf("windows settings: %v", err)
	}
	tests := []struct {
		edit func(*Settings)
		want string
	}{
		{func(s *Settings) { s.Executable = "" }, "service executable: empty"},
		{func(s *Settings) { s.Config = "shop.toml" }, `service config: "shop.toml" is not an absolute path`},
		{func(s *Settings) { s.DataDir = "/var/lib/x\ty" }, "service data directory"},
		{func(s *Settings) { s.Name = "" }, "service name: empty"},
		{func(s *Settings) { s.Name = "store edge" }, "service name"},
		{func(s *Settings) { s.DisplayName = "a\nb" }, "service display name"},
		{func(s *Settings) { s.User = "root:x" }, `"root:x" is not a valid name`},
		{func(s *Settings) { s.StopTimeout = -time.Second }, "service stop timeout: -1s is not positive"},
	}
	for _, tc := range tests {
		s := PackageSettings()
		tc.edit(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want it to say %q", err, tc.want)
		}
	}
}
