package crashtest

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"storeedge/internal/testbin"
	"storeedge/sync/sim"
)

var kills = flag.Int("kills", 5, "how many times the crash test kills the agent")

func config(simURL, dataDir, listen string, stores []sim.Store) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[agent]\ndata_dir = %q\nstatus_listen = %q\nlog_level = \"warn\"\n\n", dataDir, listen)
	fmt.Fprintf(&b, "[[platform]]\nname = \"youzan\"\ntype = \"youzan\"\nbase_url = %q\n", simURL)
	b.WriteString("client_id = \"crash-client\"\nclient_secret = \"crash-secret\"\ngrant_id = \"90001\"\npoll = \"1s\"\noverlap = \"2m\"\nlookback = \"10m\"\n\n")
	for i, st := range stores {
		fmt.Fprintf(&b, "[[store]]\nid = %q\nname = %q\nplatform = \"youzan\"\n\n", st.ID, st.Name)
		fmt.Fprintf(&b, "[[printer]]\nname = \"p%d\"\nuri = \"file://printers/p%d.bin\"\npaper = \"80mm\"\n\n", i+1, i+1)
		for _, kind := range []string{"receipt", "kitchen"} {
			fmt.Fprintf(&b, "[[binding]]\nstore = %q\nticket = %q\nprinters = [\"p%d\"]\n\n", st.ID, kind, i+1)
		}
	}
	return b.String()
}

// agentProc is one run of the agent binary.
type agentProc struct {
	cmd  *exec.Cmd
	done chan error
	log  *os.File
}

func start(t *testing.T, bin, cfg, logPath string) *agentProc {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start agent: %v", err)
	}
	p := &agentProc{cmd: cmd, done: make(chan error, 1), log: logf}
	go func() { p.done <- cmd.Wait() }()
	return p
}

func (p *agentProc) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.log.Close()
}

// stop asks the agent to stop and waits; it must exit cleanly.
func (p *agentProc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("agent stopped with %v", err)
		}
	case <-time.After(15 * time.Second):
		p.kill(t)
		t.Error("agent did not stop within 15 s of SIGTERM")
	}
	p.log.Close()
}

func readPrintings(t *testing.T, dir string, n int) []Printing {
	t.Helper()
	var all []Printing
	for i := 1; i <= n; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "printers", fmt.Sprintf("p%d.bin", i)))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ps, err := Tickets(b)
		if err != nil {
			t.Fatalf("printer p%d: %v", i, err)
		}
		all = append(all, ps...)
	}
	return all
}

func TestCrash(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL of a child process: Unix only")
	}
	if testing.Short() {
		t.Skip("starts real processes")
	}
	dir := t.TempDir()
	bin := testbin.MustBuild(t, dir)
	data := filepath.Join(dir, "data")

	stores := sim.DefaultStores[:2]
	s := sim.New(sim.Options{Stores: sim.DefaultStores, ClientID: "crash-client", ClientSecret: "crash-secret", KdtID: "90001"})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	cfg := filepath.Join(dir, "storeedge.toml")
	if err := os.WriteFile(cfg, []byte(config(srv.URL, data, testbin.FreeAddr(t), stores)), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "agent.log")
	defer func() {
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("agent log (last 4 KB):\n%s", b[max(0, len(b)-4096):])
			}
		}
	}()

	// Orders keep arriving during the whole kill phase.
	ctx, stopOrders := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(150 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if _, err := s.AddOrder(stores[i%len(stores)].ID); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	for k := 0; k < *kills; k++ {
		p := start(t, bin, cfg, logPath)
		// Long enough to poll and print now and then, short enough to land
		// in the middle of work.
		time.Sleep(time.Duration(300+rng.IntN(1500)) * time.Millisecond)
		p.kill(t)
	}
	stopOrders()
	wg.Wait()

	// The last run prints everything that is left, then stops cleanly.
	var expected []string
	orders := 0
	for _, tr := range s.Trades() {
		if slices.ContainsFunc(stores, func(st sim.Store) bool { return st.ID == tr.StoreID }) {
			orders++
			expected = append(expected, tr.TID+" 顾客联", tr.TID+" 厨房联")
		}
	}
	p := start(t, bin, cfg, logPath)
	deadline := time.Now().Add(30 * time.Second)
	var sum Summary
	for {
		sum = Count(expected, readPrintings(t, data, len(stores)))
		if sum.Lost == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.stop(t)
	sum = Count(expected, readPrintings(t, data, len(stores)))
	sum.Orders, sum.Kills = orders, *kills
	fmt.Println(sum)
	t.Log(sum)
	if orders == 0 {
		t.Fatal("no orders were made")
	}
	if sum.Lost > 0 {
		t.Errorf("%d tickets never printed: %v", sum.Lost, sum.LostTickets)
	}
	if sum.UnmarkedDuplicates > 0 {
		t.Errorf("%d tickets printed twice without the reprint mark: %v", sum.UnmarkedDuplicates, sum.Unmarked)
	}
	// Every printing is of an expected ticket.
	for _, pr := range readPrintings(t, data, len(stores)) {
		if !slices.Contains(expected, pr.Key()) {
			t.Errorf("printed a ticket nobody ordered: %s", pr.Key())
		}
	}
	checkLog(t, logPath)
}

// checkLog fails on a panic or a data race report in the agent's log.
func checkLog(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "panic:") || strings.Contains(l, "DATA RACE") {
			t.Errorf("agent log: %s", l)
		}
	}
}
