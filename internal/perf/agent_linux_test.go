package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"storeedge/internal/testbin"
	"storeedge/printer/status/statustest"
)

// BinEnv names the environment variable holding the path of a storeedge
// binary to measure (make bench passes the one `make build` made). Without
// it the binary is built once per test run as `make build` builds it:
// stripped, with -trimpath.
const BinEnv = "STOREEDGE_BIN"

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// binary returns the storeedge binary to run.
func binary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		if p := os.Getenv(BinEnv); p != "" {
			binPath, binErr = filepath.Abs(p)
			if binErr == nil {
				_, binErr = os.Stat(binPath)
			}
			return
		}
		if binDir, binErr = os.MkdirTemp("", "storeedge-perf-"); binErr != nil {
			return
		}
		// Built as make build builds it: stripped, without file paths.
		binPath, binErr = testbin.Build(binDir, "-trimpath", "-ldflags", "-s -w")
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{binDir, backlogDir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// agentProc is one run of the storeedge binary.
type agentProc struct {
	cmd     *exec.Cmd
	done    chan struct{}
	err     error // the exit status, once done is closed
	log     *os.File
	url     string // status API
	started time.Time
}

// startAgent runs `storeedge run --config cfg` with its output in logPath;
// listen is the config's status_listen.
func startAgent(tb testing.TB, cfg, listen, logPath string) *agentProc {
	tb.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(binary(tb), "run", "--config", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	p := &agentProc{cmd: cmd, done: make(chan struct{}), log: logf, url: "http://" + listen + "/api/v1/status"}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		tb.Fatalf("start agent: %v", err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() { p.kill() })
	return p
}

func (p *agentProc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM and waits for a clean exit.
func (p *agentProc) stop(tb testing.TB) {
	tb.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		p.log.Close()
		if p.err != nil {
			tb.Fatalf("agent stopped with %v; log %s", p.err, p.log.Name())
		}
	case <-time.After(30 * time.Second):
		p.kill()
		tb.Fatalf("agent did not stop within 30 s of SIGTERM; log %s", p.log.Name())
	}
}

func (p *agentProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.log.Close()
}

// statusDoc is the part of /api/v1/status the benchmarks read.
type statusDoc struct {
	Platforms []struct {
		Name      string `json:"name"`
		State     string `json:"state"`
		LastError string `json:"last_error"`
	} `json:"platforms"`
	Printers []struct {
		Name  string `json:"name"`
		State string `json:"state"`
	} `json:"printers"`
	Queue struct {
		Pending  int `json:"pending"`
		Inflight int `json:"inflight"`
		Held     int `json:"held"`
	} `json:"queue"`
}

var apiClient = &http.Client{Timeout: 5 * time.Second}

// status asks the agent's status API once.
func (p *agentProc) status(ctx context.Context) (statusDoc, error) {
	var doc statusDoc
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return doc, err
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		return doc, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return doc, fmt.Errorf("status API: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return doc, fmt.Errorf("status API: %w", err)
	}
	return doc, nil
}

// waitFor asks the status API every poll until ready accepts an answer, the
// agent exits or timeout passes; it returns the accepted answer and when it
// arrived.
func (p *agentProc) waitFor(tb testing.TB, timeout, poll time.Duration, ready func(statusDoc) bool) (statusDoc, time.Time) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last statusDoc
	var lastErr error
	for {
		doc, err := p.status(ctx)
		if err == nil {
			if ready(doc) {
				return doc, time.Now()
			}
			last = doc
		}
		lastErr = err
		select {
		case <-p.done:
			tb.Fatalf("agent exited (%v) before it was ready; log %s", p.err, p.log.Name())
		case <-ctx.Done():
			tb.Fatalf("agent not ready within %s: last answer %+v, last error %v; log %s", timeout, last, lastErr, p.log.Name())
		case <-time.After(poll):
		}
	}
}

// tcpPrinter is a network printer on a loopback port: it takes every
// connection, feeds what it reads to an emulated printer and writes back its
// answers to status queries, as a printer on port 9100 does.
type tcpPrinter struct {
	ln  net.Listener
	emu *statustest.Printer
	wg  sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool
}

func newTCPPrinter(tb testing.TB) *tcpPrinter {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &tcpPrinter{ln: ln, emu: statustest.New(), conns: map[net.Conn]bool{}}
	p.emu.SetDiscard(true)
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.close)
	return p
}

func (p *tcpPrinter) addr() string { return p.ln.Addr().String() }

func (p *tcpPrinter) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns[c] = true
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
			p.mu.Lock()
			delete(p.conns, c)
			p.mu.Unlock()
		}()
	}
}

func (p *tcpPrinter) serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if ans := p.emu.Feed(buf[:n]); len(ans) > 0 {
				if _, err := c.Write(ans); err != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *tcpPrinter) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// writeFile writes a file the test needs.
func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// mb is bytes in MiB, for ReportMetric.
func mb(n int64) float64 { return float64(n) / (1 << 20) }
