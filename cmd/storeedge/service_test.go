//go:build !windows

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStoreedgeHelper is the storeedge command when run by the tests below
// as a separate process; it does nothing in a normal test run.
func TestStoreedgeHelper(t *testing.T) {
	if os.Getenv("STOREEDGE_TEST_HELPER") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}

// storeedge starts the command as its own process.
func storeedge(t *testing.T, env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestStoreedgeHelper$", "--"}, args...)...)
	cmd.Env = append(append(os.Environ(), "STOREEDGE_TEST_HELPER=1"), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, &stderr, bufio.NewReader(out)
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("storeedge did not exit")
	}
	return cmd.ProcessState.ExitCode()
}

func writeConfig(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "shop.toml")
	cfg := "[agent]\ndata_dir = \"data\"\nstatus_listen = \"127.0.0.1:0\"\nlog_level = \"debug\"\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// By hand: logs on the terminal, the status page up, a second run on the
// same data directory refused, SIGTERM a clean stop.
func TestRunByHand(t *testing.T) {
	_, cfg := writeConfig(t)
	cmd, stderr, stdout := storeedge(t, []string{"STOREEDGE_SERVICE=0"}, "run", "--config", cfg)
	line, err := stdout.ReadString('\n')
	if err != nil {
		t.Fatalf("no status line: %v; stderr:\n%s", err, stderr)
	}
	_, url, ok := strings.Cut(strings.TrimSpace(line), "status page ")
	if !ok {
		t.Fatalf("status line %q", line)
	}
	resp, err := http.Get(url + "api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status API: %s", resp.Status)
	}

	second, stderr2, _ := storeedge(t, []string{"STOREEDGE_SERVICE=0"}, "run", "--config", cfg)
	if code := exitCode(t, second); code != exitFailure {
		t.Errorf("second run on the same data directory: exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(stderr2.String(), "another storeedge is already running on data directory") {
		t.Errorf("second run does not say why it stopped:\n%s", stderr2)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != exitOK {
		t.Errorf("exit %d after SIGTERM, want 0; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{`msg="storeedge started"`, `msg="storeedge stopped"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("terminal lacks %s:\n%s", want, stderr)
		}
	}
}

// As the service: JSON logs in <data_dir>/logs, nothing on stdout.
func TestRunAsService(t *testing.T) {
	dir, cfg := writeConfig(t)
	logFile := filepath.Join(dir, "data", "logs", "storeedge.log")
	cmd, stderr, stdout := storeedge(t, []string{"STOREEDGE_SERVICE=1"}, "run", "--config", cfg)
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, _ := os.ReadFile(logFile)
		if bytes.Contains(b, []byte(`"msg":"storeedge running"`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no start in %s; stderr:\n%s", logFile, stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != exitOK {
		t.Errorf("exit %d after SIGTERM, want 0; stderr:\n%s", code, stderr)
	}
	if rest, _ := stdout.ReadString(0); rest != "" {
		t.Errorf("the service wrote to stdout: %q", rest)
	}
	if s := stderr.String(); s != "" {
		t.Errorf("the service wrote to stderr: %q", s)
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rec struct{ Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		msgs = append(msgs, rec.Msg)
	}
	joined := strings.Join(msgs, "|")
	for _, want := range []string{"storeedge started", "storeedge running", "stopping: finishing jobs in progress", "storeedge stopped"} {
		if !strings.Contains(joined, want) {
			t.Errorf("log lacks %q: %q", want, msgs)
		}
	}
}

func TestServiceCommandUsage(t *testing.T) {
	dir, cfg := writeConfig(t)
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[agent]\ncolour = \"red\"\n"), 0o600)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"install"}, exitUsage, "--config FILE is required"},
		{[]string{"install", "--config", bad}, exitUsage, `bad.toml:2: agent.colour: unknown key`},
		{[]string{"install", "--config", cfg, "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"uninstall", "now"}, exitUsage, `unexpected argument "now"`},
		{[]string{"start", "-x"}, exitUsage, "flag provided but not defined: -x"},
		{[]string{"run", "--config", cfg, "--stop-timeout", "0s"}, exitUsage, "--stop-timeout 0s: must be positive"},
		{[]string{"run", "--config", bad}, exitUsage, "agent.colour: unknown key"},
	}
	for _, tc := range tests {
		code, _, errs := cli(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

// install --print shows the unit `install` would write, with this binary and
// the config's absolute paths.
func TestInstallPrint(t *testing.T) {
	dir, cfg := writeConfig(t)
	code, out, errs := cli(t, "install", "--config", cfg, "--print")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	for _, want := range []string{
		"ExecStart=" + exe + " run --config " + cfg + "\n",
		"User=storeedge\n",
		"Restart=always\n",
		"After=network-online.target\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("unit lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "StateDirectory") {
		t.Errorf("data directory %s is not under /var/lib, yet the unit has StateDirectory:\n%s", filepath.Join(dir, "data"), out)
	}
}

func TestStatusCommand(t *testing.T) {
	code, out, errs := cli(t, "status")
	if code != 0 || !strings.HasPrefix(out, "storeedge service: ") {
		t.Errorf("status: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
