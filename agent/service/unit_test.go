package service

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// packagedUnit is the unit the Linux package installs.
const packagedUnit = "../../packaging/linux/storeedge.service"

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test -update if the change is meant):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestPackagedUnitGolden(t *testing.T) {
	unit, err := SystemdUnit(PackageSettings())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/storeedge.service", unit)
	// The package ships exactly what `storeedge install` would write.
	golden(t, packagedUnit, unit)
}

// unitKeys parses a unit into section.Key -> values.
func unitKeys(t *testing.T, unit string) map[string][]string {
	t.Helper()
	m := map[string][]string{}
	section := ""
	for i, line := range strings.Split(unit, "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("unit line %d: %q is not Key=value in a section", i+1, line)
			}
			m[section+"."+k] = append(m[section+"."+k], v)
		}
	}
	return m
}

func TestSystemdUnit(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Settings)
		want   map[string]string // section.Key -> the one value it must have
		absent []string
	}{
		{
			name: "package",
			edit: func(*Settings) {},
			want: map[string]string{
				"Unit.After":                       "network-online.target",
				"Unit.Wants":                       "network-online.target",
				"Unit.StartLimitIntervalSec":       "0",
				"Service.Type":                     "simple",
				"Service.User":                     "storeedge",
				"Service.Group":                    "storeedge",
				"Service.SupplementaryGroups":      "lp dialout",
				"Service.ExecStart":                "/usr/bin/storeedge run --config /etc/storeedge/storeedge.toml",
				"Service.Environment":              "STOREEDGE_SERVICE=1",
				"Service.Restart":                  "always",
				"Service.RestartPreventExitStatus": "2",
				"Service.StateDirectory":           "storeedge",
				"Service.StateDirectoryMode":       "0750",
				"Service.TimeoutStopSec":           "35",
				"Service.UMask":                    "0027",
				"Install.WantedBy":                 "multi-user.target",
			},
		},
		{
			name:   "data directory outside /var/lib: no StateDirectory",
			edit:   func(s *Settings) { s.DataDir = "/srv/storeedge" },
			want:   map[string]string{"Service.User": "storeedge"},
			absent: []string{"Service.StateDirectory", "Service.StateDirectoryMode"},
		},
		{
			name: "another stop timeout reaches the command line and systemd",
			edit: func(s *Settings) { s.StopTimeout = 45 * time.Second },
			want: map[string]string{
				"Service.ExecStart":      "/usr/bin/storeedge run --config /etc/storeedge/storeedge.toml --stop-timeout 45s",
				"Service.TimeoutStopSec": "60",
			},
		},
		{
			name: "paths with blanks, quotes, % and $ are quoted and escaped",
			edit: func(s *Settings) {
				s.Executable = "/opt/store edge/storeedge"
				s.Config = `/etc/store"edge/100%$HOME.toml`
			},
			want: map[string]string{
				"Service.ExecStart": `"/opt/store edge/storeedge" run --config "/etc/store\"edge/100%%$$HOME.toml"`,
			},
		},
		{
			name:   "no groups",
			edit:   func(s *Settings) { s.Groups = nil },
			want:   map[string]string{"Service.User": "storeedge"},
			absent: []string{"Service.SupplementaryGroups"},
		},
		{
			name: "another user",
			edit: func(s *Settings) { s.User = "pos" },
			want: map[string]string{"Service.User": "pos", "Service.Group": "pos"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := PackageSettings()
			tc.edit(&s)
			unit, err := SystemdUnit(s)
			if err != nil {
				t.Fatal(err)
			}
			keys := unitKeys(t, unit)
			for k, v := range tc.want {
				if got := keys[k]; len(got) != 1 || got[0] != v {
					t.Errorf("%s = %q, want [%q]", k, got, v)
				}
			}
			for _, k := range tc.absent {
				if got, ok := keys[k]; ok {
					t.Errorf("%s = %q, want it absent", k, got)
				}
			}
			for k, vs := range keys {
				if len(vs) > 1 {
					t.Errorf("%s set %d times", k, len(vs))
				}
			}
			if strings.Contains(unit, "{{") {
				t.Error("unit holds {{, which the service manager would take as a template")
			}
		})
	}
}

func TestSystemdUnitRefusesBadSettings(t *testing.T) {
	for name, edit := range map[string]func(*Settings){
		"relative config":   func(s *Settings) { s.Config = "storeedge.toml" },
		"newline in path":   func(s *Settings) { s.Executable = "/usr/bin/store\nedge" },
		"template in path":  func(s *Settings) { s.Config = "/etc/{{x}}.toml" },
		"no user":           func(s *Settings) { s.User = "" },
		"bad user":          func(s *Settings) { s.User = "store edge" },
		"bad group":         func(s *Settings) { s.Groups = []string{"lp", "-x"} },
		"no stop timeout":   func(s *Settings) { s.StopTimeout = 0 },
		"name with a slash": func(s *Settings) { s.Name = "a/b" },
	} {
		s := PackageSettings()
		edit(&s)
		if _, err := SystemdUnit(s); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

// systemd-analyze verify finds nothing to say about the unit.
func TestSystemdAnalyzeVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is missing (Debian package systemd): make test installs it")
		}
		t.Skip("systemd-analyze is missing (Debian package systemd)")
	}
	dir := t.TempDir()
	// verify wants the executable to exist.
	exe := filepath.Join(dir, "bin", "storeedge")
	os.MkdirAll(filepath.Dir(exe), 0o755)
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Settings)
	}{
		{"package", func(*Settings) {}},
		{"by hand", func(s *Settings) {
			s.DataDir = "/srv/storeedge data"
			s.Config = "/srv/storeedge data/shop 1.toml"
			s.StopTimeout = time.Minute
		}},
	} {
		s := PackageSettings()
		s.Executable = exe
		tc.edit(&s)
		unit, err := SystemdUnit(s)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "storeedge.service")
		if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(sa, "verify", "--man=no", path).CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("%s: systemd-analyze verify: %v\n%s\nunit:\n%s", tc.name, err, out, unit)
		}
	}
	// The check itself catches a mistake.
	bad := filepath.Join(dir, "bad.service")
	os.WriteFile(bad, []byte("[Service]\nExecStart="+exe+"\nRestart=sometimes\n"), 0o644)
	if out, _ := exec.Command(sa, "verify", "--man=no", bad).CombinedOutput(); !strings.Contains(string(out), "sometimes") {
		t.Errorf("systemd-analyze verify did not flag a bad Restart=: %s", out)
	}
}

func TestExecArg(t *testing.T) {
	for in, want := range map[string]string{
		"run":       "run",
		"/a/b.toml": "/a/b.toml",
		"":          `""`,
		"a b":       `"a b"`,
		`a"b`:       `"a\"b"`,
		`a\b`:       `"a\\b"`,
		"50%":       "50%%",
		"$HOME":     "$$HOME",
		"x;y":       `"x;y"`,
		"it's":      `"it's"`,
		"人民路店.toml": "人民路店.toml",
	} {
		if got := execArg(in); got != want {
			t.Errorf("execArg(%q) = %s, want %s", in, got, want)
		}
	}
}
