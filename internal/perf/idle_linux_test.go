package perf

import (
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/internal/testbin"
	"storeedge/printer/serial/ptytest"
	"storeedge/sync/sim"
)

var (
	idleWindow = flag.Duration("perf.idle", 60*time.Second, "how long the CPU time of an idle agent is measured (at least 35s: longer than a poll)")
	idleSettle = flag.Duration("perf.settle", 10*time.Second, "how long the agent runs before the idle measurement starts")
)

// idleRig is an agent as a shop runs it between orders: three printers (a
// file, a TCP 9100 listener, a serial line on a pty; the last two answer
// status queries) and two platforms (Youzan and Wangdiantong, served by the
// simulator) polled at their defaults.
type idleRig struct {
	sim    *sim.Sim
	agent  *agentProc
	tcp    *tcpPrinter
	serial *ptytest.Line
}

// startIdleRig starts the simulator, the printers and the agent, and waits
// until the agent has polled both platforms and sees all three printers.
func startIdleRig(tb testing.TB) *idleRig {
	tb.Helper()
	r := &idleRig{sim: sim.New(sim.Options{Seed: 1})} // no orders: Run is never called
	srv := httptest.NewServer(r.sim.Handler())
	tb.Cleanup(srv.Close)
	r.tcp = newTCPPrinter(tb)
	r.serial = ptytest.NewLine(tb)

	dir := tb.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(filepath.Join(data, "printers"), 0o750); err != nil {
		tb.Fatal(err)
	}
	listen := testbin.FreeAddr(tb)
	cfg := filepath.Join(dir, "storeedge.toml")
	writeFile(tb, cfg, idleConfig(srv.URL, data, listen, r.tcp.addr(), r.serial.Path, r.sim.Stores()))
	r.agent = startAgent(tb, cfg, listen, filepath.Join(dir, "agent.log"))
	r.agent.waitFor(tb, 30*time.Second, 100*time.Millisecond, func(d statusDoc) bool {
		if len(d.Platforms) != 2 || len(d.Printers) != 3 {
			return false
		}
		for _, p := range d.Platforms {
			if p.State != "ok" {
				return false
			}
		}
		for _, p := range d.Printers {
			if p.State != "online" && p.State != "idle" {
				return false
			}
		}
		return true
	})
	return r
}

// idleConfig is the agent's config: platform poll intervals, log level and
// everything else left at their defaults.
func idleConfig(simURL, data, listen, tcpAddr, ttyPath string, stores []sim.Store) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[agent]\ndata_dir = %q\nstatus_listen = %q\n\n", data, listen)
	fmt.Fprintf(&b, "[[platform]]\nname = \"youzan\"\ntype = \"youzan\"\nbase_url = %q\n"+
		"client_id = \"demo-client\"\nclient_secret = \"demo-secret\"\ngrant_id = \"90001\"\n\n", simURL)
	fmt.Fprintf(&b, "[[platform]]\nname = \"wdt\"\ntype = \"wdt\"\nbase_url = \"%s/openapi2\"\n"+
		"sid = \"demo-sid\"\nappkey = \"demo-appkey\"\nappsecret = \"demo-appsecret\"\n\n", simURL)
	fmt.Fprintf(&b, "[[store]]\nid = %q\nname = %q\nplatform = \"youzan\"\n\n", stores[0].ID, stores[0].Name)
	fmt.Fprintf(&b, "[[store]]\nid = %q\nname = %q\nplatform = \"wdt\"\n\n", stores[1].ID, stores[1].Name)
	fmt.Fprintf(&b, "[[printer]]\nname = \"front\"\nuri = \"file://printers/front.bin\"\npaper = \"80mm\"\n\n")
	fmt.Fprintf(&b, "[[printer]]\nname = \"kitchen\"\nuri = \"tcp://%s\"\npaper = \"80mm\"\n\n", tcpAddr)
	fmt.Fprintf(&b, "[[printer]]\nname = \"bar\"\nuri = \"serial://%s?baud=115200\"\npaper = \"58mm\"\n\n", ttyPath)
	for _, bd := range []struct{ store, kind, printer string }{
		{stores[0].ID, "receipt", "front"}, {stores[0].ID, "kitchen", "kitchen"},
		{stores[1].ID, "receipt", "bar"}, {stores[1].ID, "kitchen", "kitchen"},
	} {
		fmt.Fprintf(&b, "[[binding]]\nstore = %q\nticket = %q\nprinters = [%q]\n\n", bd.store, bd.kind, bd.printer)
	}
	return b.String()
}

// TestIdleRig checks what BenchmarkIdle measures: the agent runs, polls
// both platforms over HTTP and asks both printers that answer for their
// status.
func TestIdleRig(t *testing.T) {
	r := startIdleRig(t)
	calls := r.sim.Calls()
	if calls[sim.APITradesSoldGet] == 0 || calls[sim.APIWDTTradeQuery] == 0 {
		t.Errorf("platform calls %v: want both order lists read", calls)
	}
	deadline := time.Now().Add(20 * time.Second)
	for r.tcp.emu.Queries() == 0 || r.serial.Emu.Queries() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("status queries: tcp %d, serial %d; want both printers asked", r.tcp.emu.Queries(), r.serial.Emu.Queries())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := ReadMemory(r.agent.pid()); err != nil {
		t.Fatal(err)
	}
	if _, err := CPUTime(r.agent.pid()); err != nil {
		t.Fatal(err)
	}
	r.agent.stop(t)
}

// BenchmarkIdle measures the agent between orders: its resident memory
// (the highest VmRSS sampled every second) and its CPU use (utime+stime
// over the window, in % of one core), after it has settled. The window
// must see each platform polled and each answering printer asked for its
// status, or the benchmark fails.
func BenchmarkIdle(b *testing.B) {
	if *idleWindow < 35*time.Second {
		b.Fatalf("-perf.idle %s: at least 35s, so that both platforms poll within it", *idleWindow)
	}
	var cpuPct, rssMB, anonMB float64
	runs := 0
	for b.Loop() {
		r := startIdleRig(b)
		time.Sleep(*idleSettle)
		pid := r.agent.pid()
		calls0, tcp0, ser0 := r.sim.Calls(), r.tcp.emu.Queries(), r.serial.Emu.Queries()
		t0 := time.Now()
		cpu, peak := watch(b, pid, *idleWindow)
		wall := time.Since(t0)
		calls1 := r.sim.Calls()
		for _, api := range []string{sim.APITradesSoldGet, sim.APIWDTTradeQuery} {
			if calls1[api] <= calls0[api] {
				b.Fatalf("%s was not called during the %s window", api, wall.Round(time.Second))
			}
		}
		if r.tcp.emu.Queries() <= tcp0 || r.serial.Emu.Queries() <= ser0 {
			b.Fatalf("printers not asked for their status during the window: tcp %d->%d, serial %d->%d",
				tcp0, r.tcp.emu.Queries(), ser0, r.serial.Emu.Queries())
		}
		r.agent.stop(b)
		cpuPct += cpu
		rssMB += mb(peak.RSS)
		anonMB += mb(peak.Anon)
		runs++
	}
	n := float64(runs)
	b.ReportMetric(cpuPct/n, "cpu-%")
	b.ReportMetric(rssMB/n, "rss-MB")
	b.ReportMetric(anonMB/n, "anon-MB")
	b.ReportMetric(0, "ns/op")
}

// watch samples a process for d: its CPU use over d in % of one core, and
// its resident memory when VmRSS was highest (sampled every second).
func watch(tb testing.TB, pid int, d time.Duration) (cpuPct float64, peak Memory) {
	tb.Helper()
	cpu0, err := CPUTime(pid)
	if err != nil {
		tb.Fatal(err)
	}
	t0 := time.Now()
	for time.Since(t0) < d {
		time.Sleep(time.Second)
		m, err := ReadMemory(pid)
		if err != nil {
			tb.Fatal(err)
		}
		if m.RSS > peak.RSS {
			peak = m
		}
	}
	cpu1, err := CPUTime(pid)
	if err != nil {
		tb.Fatal(err)
	}
	return 100 * float64(cpu1-cpu0) / float64(time.Since(t0)), peak
}
