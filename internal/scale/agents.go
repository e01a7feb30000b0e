package scale

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"storeedge/internal/testbin"
	"storeedge/sync/sim"
)

// Build compiles the storeedge program into dir and returns its path.
func Build(dir string) (string, error) { return testbin.Build(dir) }

// Platforms an agent of the tests reads its store from.
const (
	Youzan = "youzan" // Youzan multi-outlet: the store is an outlet of the simulator's shop
	WDT    = "wdt"    // Wangdiantong: the store is a shop_no
)

// AgentConfig is the config of one store's agent, as a merchant's IT
// person would write it for that store's PC.
type AgentConfig struct {
	DataDir  string // data_dir
	Listen   string // status_listen
	SimURL   string // the simulator's base URL
	KdtID    string // the simulator's shop kdt_id (Youzan grant_id)
	Platform string // Youzan or WDT
	Store    sim.Store
	Poll     time.Duration // 0: the default (30 s)
	Overlap  time.Duration // 0: the default (2 m)
	// Receipt and Kitchen are printer URIs; the kitchen ticket prints on
	// the receipt printer when Kitchen is empty.
	Receipt, Kitchen string
	LogLevel         string // default "warn"
}

// Text is the config file.
func (c AgentConfig) Text() string {
	var b strings.Builder
	level := c.LogLevel
	if level == "" {
		level = "warn"
	}
	fmt.Fprintf(&b, "[agent]\ndata_dir = %q\nstatus_listen = %q\nlog_level = %q\n\n", c.DataDir, c.Listen, level)
	switch c.Platform {
	case WDT:
		fmt.Fprintf(&b, "[[platform]]\nname = \"wdt\"\ntype = \"wdt\"\nbase_url = \"%s/openapi2\"\n"+
			"sid = \"demo-sid\"\nappkey = \"demo-appkey\"\nappsecret = \"demo-appsecret\"\n", c.SimURL)
	default:
		fmt.Fprintf(&b, "[[platform]]\nname = \"youzan\"\ntype = \"youzan\"\nbase_url = %q\n"+
			"client_id = \"demo-client\"\nclient_secret = \"demo-secret\"\ngrant_id = %q\n", c.SimURL, c.KdtID)
	}
	if c.Poll > 0 {
		fmt.Fprintf(&b, "poll = %q\n", c.Poll)
	}
	if c.Overlap > 0 {
		fmt.Fprintf(&b, "overlap = %q\n", c.Overlap)
	}
	fmt.Fprintf(&b, "\n[[store]]\nid = %q\nname = %q\n\n", c.Store.ID, c.Store.Name)
	fmt.Fprintf(&b, "[[printer]]\nname = \"front\"\nuri = %q\npaper = \"80mm\"\n\n", c.Receipt)
	kitchen := "front"
	if c.Kitchen != "" {
		kitchen = "kitchen"
		fmt.Fprintf(&b, "[[printer]]\nname = \"kitchen\"\nuri = %q\npaper = \"80mm\"\n\n", c.Kitchen)
	}
	fmt.Fprintf(&b, "[[binding]]\nstore = %q\nticket = \"receipt\"\nprinters = [\"front\"]\n\n", c.Store.ID)
	fmt.Fprintf(&b, "[[binding]]\nstore = %q\nticket = \"kitchen\"\nprinters = [%q]\n", c.Store.ID, kitchen)
	return b.String()
}

// WriteConfig writes the config into its data directory as storeedge.toml
// and returns the file's path.
func WriteConfig(c AgentConfig) (string, error) {
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(c.DataDir, "storeedge.toml")
	if err := os.WriteFile(path, []byte(c.Text()), 0o600); err != nil {
		return "", fmt.Errorf("write config: %w", err)
	}
	return path, nil
}

// Proc is one running agent process.
type Proc struct {
	Cmd     *exec.Cmd
	Started time.Time // just before the process was started
	done    chan error
	log     *os.File
}

// Start runs `storeedge run --config cfg`, its output appended to logPath.
func Start(bin, cfg, logPath string) (*Proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("agent log: %w", err)
	}
	cmd := exec.Command(bin, "run", "--config", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	p := &Proc{Cmd: cmd, done: make(chan error, 1), log: logf, Started: time.Now()}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start agent: %w", err)
	}
	go func() { p.done <- cmd.Wait(); logf.Close() }()
	return p, nil
}

// PID is the process id.
func (p *Proc) PID() int { return p.Cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// Stop asks the agent to stop (SIGTERM) and waits up to timeout for it to
// exit cleanly; then it is killed and Stop says so.
func (p *Proc) Stop(timeout time.Duration) error {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			return fmt.Errorf("agent %d stopped with %w", p.PID(), err)
		}
		return nil
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("agent %d did not stop within %v of SIGTERM", p.PID(), timeout)
	}
}

// Kill ends the process at once and waits for it.
func (p *Proc) Kill() {
	_ = p.Cmd.Process.Kill()
	err := <-p.done
	p.done <- err
}

// WaitReady waits until the agent's status API at listen answers, and
// returns that moment. It fails when the process ends first or ctx ends.
func (p *Proc) WaitReady(ctx context.Context, listen string) (time.Time, error) {
	hc := &http.Client{Timeout: 30 * time.Second}
	url := "http://" + listen + "/api/v1/status"
	for {
		if ended, err := p.Exited(); ended {
			return time.Time{}, fmt.Errorf("agent %d exited before it was ready: %v", p.PID(), err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return time.Time{}, err
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if ctx.Err() != nil {
			return time.Time{}, fmt.Errorf("agent %d not ready: %w", p.PID(), errors.Join(ctx.Err(), err))
		}
		t := time.NewTimer(25 * time.Millisecond)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}
