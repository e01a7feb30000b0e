package scale

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// envInt and envDuration read a flag's default from the environment
// (make scale STORES=200 DURATION=4m).
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

var keepFlag = flag.String("keep", "", "put the agents' data directories (config, queue, log, paper) under this directory and keep them")

// dataRoot is where a test's agents keep their data.
func dataRoot(t testing.TB) string {
	t.Helper()
	if *keepFlag == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp(*keepFlag, strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("agents' data in %s", dir)
	return dir
}

var binFlag = flag.String("bin", os.Getenv("STOREEDGE_BIN"), "run this storeedge program instead of building one from the source (env STOREEDGE_BIN)")

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// needProcesses skips where real agent processes cannot be measured: off
// Linux (no /proc), and in -short runs.
func needProcesses(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("runs and measures real processes through /proc: Linux only")
	}
	if testing.Short() {
		t.Skip("starts real processes")
	}
}

// binary builds storeedge once for the whole test binary.
func binary(t testing.TB) string {
	t.Helper()
	if *binFlag != "" {
		return *binFlag
	}
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "storeedge-scale-"); buildErr == nil {
			binPath, buildErr = Build(binDir)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// agent is one store's agent process of a test.
type agent struct {
	cfg      AgentConfig
	proc     *Proc
	logPath  string
	ready    time.Time     // its status API first answered
	cpuReady time.Duration // processor time used until then
}

// startAll writes every config, starts every process at once, as when the
// PCs of a chain come back together, and waits until each is ready.
func startAll(t testing.TB, bin string, cfgs []AgentConfig) []*agent {
	t.Helper()
	agents := make([]*agent, len(cfgs))
	paths := make([]string, len(cfgs))
	for i, c := range cfgs {
		path, err := WriteConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		agents[i] = &agent{cfg: c, logPath: filepath.Join(c.DataDir, "agent.log")}
		paths[i] = path
	}
	t.Cleanup(func() {
		for _, a := range agents {
			if a.proc != nil {
				if ended, _ := a.proc.Exited(); !ended {
					a.proc.Kill()
				}
			}
		}
	})
	for i, a := range agents {
		p, err := Start(bin, paths[i], a.logPath)
		if err != nil {
			t.Fatal(err)
		}
		a.proc = p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(agents))
	for i, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.ready, errs[i] = a.proc.WaitReady(ctx, a.cfg.Listen)
			if errs[i] == nil {
				a.cpuReady, errs[i] = CPUTime(a.proc.PID())
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %s: %v\n%s", agents[i].cfg.Store.ID, err, tail(agents[i].logPath, 2048))
		}
	}
	return agents
}

// stopAll stops every agent at once and checks that each stops cleanly.
func stopAll(t testing.TB, agents []*agent) {
	t.Helper()
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.proc.Stop(30 * time.Second); err != nil {
				t.Errorf("store %s: %v\n%s", a.cfg.Store.ID, err, tail(a.logPath, 2048))
			}
		}()
	}
	wg.Wait()
}

// checkLogs fails on a panic or a data race report in an agent's log.
func checkLogs(t testing.TB, agents []*agent) {
	t.Helper()
	for _, a := range agents {
		f, err := os.Open(a.logPath)
		if err != nil {
			t.Error(err)
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "panic:") || strings.Contains(l, "DATA RACE") {
				t.Errorf("store %s log: %s", a.cfg.Store.ID, l)
			}
		}
		f.Close()
	}
}

// tail is the end of a file, for failure messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%s (last %d bytes):\n%s", path, min(n, len(b)), b[max(0, len(b)-n):])
}

// report prints a line to the test log and to stdout.
func report(t testing.TB, format string, a ...any) {
	t.Helper()
	s := fmt.Sprintf(format, a...)
	t.Log(s)
	fmt.Println(s)
}
