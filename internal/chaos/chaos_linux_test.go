//go:build linux

package chaos

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"storeedge/decimal"
	"storeedge/internal/crashtest"
	"storeedge/internal/testbin"
	"storeedge/internal/testdisk"
	"storeedge/printer/ticket"
	"storeedge/sync/order"
	"storeedge/sync/sim"
)

var (
	durationFlag = flag.Duration("duration", 40*time.Second, "how long faults, orders and stock changes go on")
	killsFlag    = flag.Int("kills", 8, "how many times the agent is killed with SIGKILL meanwhile")
	seedFlag     = flag.Uint64("seed", 0, "seed of the fault schedule (0: from the clock); printed so a run can be replayed")
	recoverFlag  = flag.Duration("recover", 3*time.Minute, "how long the agent has to catch up once the faults stop (retries back off up to 10m by design)")
	raceFlag     = flag.Bool("race-agent", true, "build the agent with the race detector")
)

// The shop: three stores of one Youzan shop, three printers.
const (
	storeA, storeB, storeC = "43435545", "43435546", "43435547"
	clientID, clientSecret = "chaos-client", "chaos-secret"
	kdtID                  = "90001"
	warehouse              = "WH01" // Wangdiantong warehouse of store A
	skus                   = 60     // POS SKUs of store A
)

// expectedTickets is the paper each order of a store should make, by the
// binding table of config: receipts on front (A, C) or counter (B),
// kitchen tickets on kitchen (A: two copies, B) or front (C), cancel
// tickets on counter.
func expectedTickets(tid, store string) []string {
	r, k := ticket.Title(order.KindReceipt), ticket.Title(order.KindKitchen)
	out := []string{tid + " " + r}
	if store == storeA {
		return append(out, tid+" "+k+" "+ticket.CopyMark(1, 2), tid+" "+k+" "+ticket.CopyMark(2, 2))
	}
	return append(out, tid+" "+k)
}

func config(upstream, dataDir, listen, frontAddr, kitchenPath, counterPath, posPath string) string {
	return fmt.Sprintf(`[agent]
data_dir = %[2]q
status_listen = %[3]q
log_level = "info"

[[platform]]
name = "youzan"
type = "youzan"
base_url = %[1]q
client_id = %[8]q
client_secret = %[9]q
grant_id = %[10]q
poll = "1s"
overlap = "2m"
lookback = "30m"

[[store]]
id = %[11]q
name = "人民路店"

[[store]]
id = %[12]q
name = "南京西路店"

[[store]]
id = %[13]q
name = "淮海中路店"

[[printer]]
name = "front"
uri = "tcp://%[4]s"
paper = "80mm"

[[printer]]
name = "kitchen"
uri = "serial://%[5]s?baud=115200"
paper = "80mm"

[[printer]]
name = "counter"
uri = "file://%[6]s"
paper = "58mm"

[[binding]]
store = %[11]q
ticket = "receipt"
printers = ["front"]

[[binding]]
store = %[11]q
ticket = "kitchen"
printers = ["kitchen"]
copies = 2

[[binding]]
store = %[12]q
ticket = "receipt"
printers = ["counter"]

[[binding]]
store = %[12]q
ticket = "kitchen"
printers = ["kitchen"]

[[binding]]
store = %[13]q
ticket = "receipt"
printers = ["front"]

[[binding]]
store = %[13]q
ticket = "kitchen"
printers = ["front"]

[[binding]]
store = "*"
ticket = "cancel"
printers = ["counter"]

[[stock_source]]
name = "pos"
type = "sql"
driver = "sqlite"
dsn = %[7]q
query = "SELECT code AS sku, qty AS stock, price FROM goods"
store = %[11]q
interval = "5s"

[[reporter]]
type = "hiding"
base_url = "%[1]s/hiding"
tenant_id = %[14]q
authorization = %[15]q
resync = "0s"

[[reporter]]
type = "wdt"
base_url = "%[1]s/openapi2"
sid = "demo-sid"
appkey = "demo-appkey"
appsecret = "demo-appsecret"
stores = { %[11]q = %[16]q }
resync = "0s"
`, upstream, dataDir, listen, frontAddr, kitchenPath, counterPath, posPath, clientID, clientSecret, kdtID,
		storeA, storeB, storeC, sim.HidingTenant, sim.HidingAuthorization, warehouse)
}

// build compiles the storeedge binary into dir, with the race detector
// when race is set.
func build(t *testing.T, dir string, race bool) string {
	t.Helper()
	var flags []string
	if race {
		flags = append(flags, "-race")
	}
	bin, err := testbin.Build(dir, flags...)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// supervisor runs the agent binary, restarting it when it stops on its
// own as the service manager would, and kills it on demand.
type supervisor struct {
	t        *testing.T
	bin, cfg string
	logPath  string

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan error
	starts   int
	kills    int
	selfExit []string // how each run that stopped on its own ended
	stopping bool
	wake     chan struct{}
}

// start starts the agent unless it runs.
func (s *supervisor) start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Errorf("agent log: %v", err)
		return
	}
	fmt.Fprintf(logf, "=== chaos: agent start %d at %s\n", s.starts+1, time.Now().Format(time.TimeOnly+".000"))
	var from int64
	if fi, err := logf.Stat(); err == nil {
		from = fi.Size()
	}
	cmd := exec.Command(s.bin, "run", "--config", s.cfg, "--stop-timeout", "15s")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "GORACE=halt_on_error=0")
	if err := cmd.Start(); err != nil {
		logf.Close()
		s.t.Errorf("start agent: %v", err)
		return
	}
	s.starts++
	done := make(chan error, 1)
	s.cmd, s.done = cmd, done
	go func() {
		err := cmd.Wait()
		logf.Close()
		done <- err
		s.mu.Lock()
		own := s.cmd == cmd && !s.stopping
		if own {
			s.selfExit = append(s.selfExit, fmt.Sprintf("%v: %s", err, lastWords(s.logPath, from)))
			s.cmd = nil
		}
		s.mu.Unlock()
		if own {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}()
}

// watch restarts the agent a second after it stopped on its own, until ctx ends.
func (s *supervisor) watch(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
			if !sleepCtx(ctx, time.Second) {
				return
			}
			s.start()
		}
	}
}

// kill sends SIGKILL to the running agent and waits for it to go.
func (s *supervisor) kill() bool {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return false
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	s.mu.Lock()
	s.kills++
	s.mu.Unlock()
	return true
}

// stop asks the running agent to stop (SIGTERM) and waits; it must exit
// cleanly within the stop timeout.
func (s *supervisor) stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.stopping = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.stopping = false
		s.mu.Unlock()
	}()
	if cmd == nil {
		return errors.New("no agent running")
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("agent stopped with %v", err)
		}
		return nil
	case <-time.After(25 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return errors.New("agent did not stop within 25 s of SIGTERM")
	}
}

// lastWords is what a run that stopped on its own said last: its
// "storeedge run:" line, or the end of its log.
func lastWords(path string, from int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < from {
		return "?"
	}
	out := strings.TrimSpace(string(b[from:]))
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "storeedge run:") {
			return l
		}
	}
	return out[max(0, len(out)-300):]
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// faults counts the faults made, by kind.
type faults struct {
	mu sync.Mutex
	n  map[string]int
}

func (f *faults) add(kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n[kind]++
}

func (f *faults) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var parts []string
	for k, v := range f.n {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// pos is the shop's POS database: one goods table of store A.
type pos struct {
	db    *sql.DB
	mu    sync.Mutex
	qty   map[string]string
	price map[string]string
}

func openPOS(t *testing.T, path string) *pos {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE goods (code TEXT PRIMARY KEY, qty DECIMAL(12,3), price DECIMAL(12,2))`); err != nil {
		t.Fatal(err)
	}
	p := &pos{db: db, qty: map[string]string{}, price: map[string]string{}}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range skus {
		code := fmt.Sprintf("69%08d", i)
		p.qty[code], p.price[code] = fmt.Sprint(i%40), fmt.Sprintf("%d.50", 1+i%20)
		if _, err := tx.Exec(`INSERT INTO goods VALUES (?, ?, ?)`, code, p.qty[code], p.price[code]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return p
}

// change sets new stock or prices of a few SKUs in one transaction.
func (p *pos) change(rng *rand.Rand) (int, error) {
	n := 1 + rng.IntN(4)
	tx, err := p.db.Begin()
	if err != nil {
		return 0, err
	}
	qty, price := map[string]string{}, map[string]string{}
	for range n {
		code := fmt.Sprintf("69%08d", rng.IntN(skus))
		if rng.IntN(3) == 0 {
			v := fmt.Sprintf("%d.%02d", 1+rng.IntN(30), rng.IntN(100))
			if _, err := tx.Exec(`UPDATE goods SET price = ? WHERE code = ?`, v, code); err != nil {
				tx.Rollback()
				return 0, err
			}
			price[code] = v
		} else {
			v := fmt.Sprint(rng.IntN(200))
			if _, err := tx.Exec(`UPDATE goods SET qty = ? WHERE code = ?`, v, code); err != nil {
				tx.Rollback()
				return 0, err
			}
			qty[code] = v
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range qty {
		p.qty[k] = v
	}
	for k, v := range price {
		p.price[k] = v
	}
	return n, nil
}

// missing lists the final POS values a platform does not hold; expected
// counts the values the platforms should hold.
func (p *pos) missing(st *sim.StockState) (expected int, missing []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	canon := func(s string) string { return decimal.MustParse(s).String() }
	check := func(platform, kind, store, sku, want string) {
		expected++
		if v, _ := st.Value(platform, kind, store, sku); v != canon(want) {
			missing = append(missing, fmt.Sprintf("%s %s %s = %q, want %s", platform, kind, sku, v, canon(want)))
		}
	}
	for code, q := range p.qty {
		check(sim.StockHiding, "stock", storeA, code, q)
		check(sim.StockWDT, "stock", warehouse, code, q)
		check(sim.StockHiding, "price", storeA, code, p.price[code])
	}
	sort.Strings(missing)
	return expected, missing
}

// appliedTwice lists values a platform applied twice: an item key applied
// twice, or the same value applied twice in a row for one SKU.
func appliedTwice(st *sim.StockState) []string {
	var out []string
	keys := map[string]bool{}
	last := map[string]string{}
	for _, a := range st.Applied() {
		if a.Key != "" {
			if keys[a.Platform+"/"+a.Key] {
				out = append(out, fmt.Sprintf("%s key %s applied twice", a.Platform, a.Key))
			}
			keys[a.Platform+"/"+a.Key] = true
		}
		id := a.Platform + "/" + a.Kind + "/" + a.Store + "/" + a.SKU
		if v, ok := last[id]; ok && v == a.Value {
			out = append(out, fmt.Sprintf("%s %s %s: %s applied twice in a row", a.Platform, a.Kind, a.SKU, a.Value))
		}
		last[id] = a.Value
	}
	return out
}

// shop is everything the agent talks to.
type shop struct {
	sim     *sim.Sim
	proxy   *Proxy
	front   *TCPPrinter
	kitchen *PTYPrinter
	counter string // file printer
	disk    string // the small disk holding the data directory

	mu        sync.Mutex
	cancelled map[string]bool
}

// paper reads every printer's paper.
func (s *shop) paper(t *testing.T) Paper {
	pieces := append(s.front.Roll().Pieces(), s.kitchen.Roll().Pieces()...)
	b, err := os.ReadFile(s.counter)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read counter printer: %v", err)
	}
	return Read(append(pieces, b))
}

// expected lists every ticket the orders so far must print.
func (s *shop) expected() (orders int, keys []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tr := range s.sim.Trades() {
		orders++
		keys = append(keys, expectedTickets(tr.TID, tr.StoreID)...)
		if s.cancelled[tr.TID] {
			keys = append(keys, tr.TID+" "+ticket.Title(order.KindCancel))
		}
	}
	return orders, keys
}

// fill takes all but about leave bytes of the disk in a ballast file.
func fill(disk string, leave int64) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(disk, &st); err != nil {
		return err
	}
	free := int64(st.Bavail) * st.Bsize
	n := free - leave
	if n <= 0 {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(disk, "ballast"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for n > 0 {
		k, err := f.Write(buf[:min(int64(len(buf)), n)])
		n -= int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			return nil // full is what was asked for
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// chaos makes one fault at random and returns how to undo it, or nil for
// a fault that undoes itself. busy names the parts already failing.
func (s *shop) chaos(rng *rand.Rand, busy map[string]bool, f *faults) (part string, undo func() error) {
	const trades = "youzan.trades.sold.get"
	type fault struct {
		part string
		make func() func() error
	}
	printerFault := func(set func(PrinterState) error, name string) func() func() error {
		return func() func() error {
			states := []PrinterState{PrinterPaperOut, PrinterStalled, PrinterOff}
			st := states[rng.IntN(len(states))]
			f.add(name + " " + st.String())
			if err := set(st); err != nil {
				return func() error { return err }
			}
			return func() error { return set(PrinterOnline) }
		}
	}
	all := []fault{
		{"upstream", func() func() error {
			code := []int{500, 502, 503, 504}[rng.IntN(4)]
			f.add("http 5xx")
			s.sim.InjectError(trades, code, 1+rng.IntN(5))
			return nil
		}},
		{"upstream", func() func() error {
			f.add("throttled")
			s.sim.InjectError(trades, []int{500100004, 123000042, 4101}[rng.IntN(3)], 1+rng.IntN(5))
			return nil
		}},
		{"upstream", func() func() error {
			f.add("garbage")
			s.sim.InjectError(trades, []int{sim.FaultTruncated, sim.FaultMalformed}[rng.IntN(2)], 1+rng.IntN(3))
			return nil
		}},
		{"token", func() func() error {
			f.add("token revoked")
			s.sim.RevokeTokens()
			return nil
		}},
		{"token", func() func() error {
			f.add("token call fails")
			s.sim.InjectError(sim.APIToken, 503, 1+rng.IntN(2))
			return nil
		}},
		{"latency", func() func() error {
			f.add("timeout")
			s.sim.SetLatency(11 * time.Second) // the Youzan client gives up after 10 s
			return func() error { s.sim.SetLatency(0); return nil }
		}},
		{"stock", func() func() error {
			p := []string{sim.StockHiding, sim.StockWDT}[rng.IntN(2)]
			f.add("stock call fails")
			s.sim.Stock().FailNext(p, 1+rng.IntN(4), []int{500, 503}[rng.IntN(2)])
			return nil
		}},
		{"stock latency", func() func() error {
			f.add("stock answer late")
			s.sim.Stock().SetLatency(time.Duration(200+rng.IntN(1500)) * time.Millisecond)
			return func() error { s.sim.Stock().SetLatency(0); return nil }
		}},
		{"front", printerFault(s.front.Set, "front")},
		{"kitchen", printerFault(func(st PrinterState) error { s.kitchen.Set(st); return nil }, "kitchen")},
		{"network", func() func() error {
			st := []PathState{PathRefused, PathBlackHole}[rng.IntN(2)]
			f.add("network " + st.String())
			if err := s.proxy.Set(st); err != nil {
				return func() error { return err }
			}
			return func() error { return s.proxy.Set(PathUp) }
		}},
		{"disk", func() func() error {
			f.add("disk full")
			if err := fill(s.disk, 0); err != nil {
				return func() error { return fmt.Errorf("fill disk: %w", err) }
			}
			return func() error { return os.Remove(filepath.Join(s.disk, "ballast")) }
		}},
	}
	for range 10 {
		ft := all[rng.IntN(len(all))]
		if busy[ft.part] {
			continue
		}
		return ft.part, ft.make()
	}
	return "", nil
}

// calm undoes every fault that stays until undone.
func (s *shop) calm() error {
	for _, api := range []string{"youzan.trades.sold.get", sim.APIToken} {
		s.sim.InjectError(api, 0, 0)
	}
	s.sim.SetLatency(0)
	st := s.sim.Stock()
	st.SetLatency(0)
	st.FailNext(sim.StockHiding, 0, 0)
	st.FailNext(sim.StockWDT, 0, 0)
	s.kitchen.Set(PrinterOnline)
	if err := os.Remove(filepath.Join(s.disk, "ballast")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return errors.Join(s.front.Set(PrinterOnline), s.proxy.Set(PathUp))
}

// queueIdle asks the agent's status API whether its queue holds nothing
// waiting, in flight, held or dead.
func queueIdle(listen string) (bool, string) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + listen + "/api/v1/status")
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	var snap struct {
		Queue map[string]any `json:"queue"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		return false, err.Error()
	}
	for _, k := range []string{"pending", "inflight", "held", "dead"} {
		if n, _ := snap.Queue[k].(float64); n != 0 {
			return false, fmt.Sprintf("queue %v", snap.Queue)
		}
	}
	return true, ""
}

func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the storeedge binary through faults for a while")
	}
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay the schedule with -seed %d)", seed, seed)

	disk := testdisk.Small(t, 24<<20)
	dir := t.TempDir()
	bin := build(t, dir, *raceFlag)

	sm := sim.New(sim.Options{ClientID: clientID, ClientSecret: clientSecret, KdtID: kdtID, Seed: int64(seed), CancelRate: -1})
	srv := httptest.NewServer(sm.Handler())
	defer srv.Close()
	proxy, err := NewProxy(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	front, err := NewTCPPrinter()
	if err != nil {
		t.Fatal(err)
	}
	defer front.Close()
	kitchen := NewPTYPrinter(t)
	s := &shop{sim: sm, proxy: proxy, front: front, kitchen: kitchen, disk: disk,
		counter: filepath.Join(dir, "counter.bin"), cancelled: map[string]bool{}}
	p := openPOS(t, filepath.Join(dir, "pos.db"))

	listen := testbin.FreeAddr(t)
	cfg := filepath.Join(dir, "storeedge.toml")
	if err := os.WriteFile(cfg, []byte(config("http://"+proxy.Addr(), filepath.Join(disk, "data"), listen, front.Addr(),
		kitchen.Path(), s.counter, filepath.Join(dir, "pos.db"))), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "agent.log")
	sup := &supervisor{t: t, bin: bin, cfg: cfg, logPath: logPath, wake: make(chan struct{}, 1)}
	defer func() {
		sup.kill()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("agent log (last 8 KB):\n%s", b[max(0, len(b)-8192):])
				kept := filepath.Join(os.TempDir(), fmt.Sprintf("storeedge-chaos-%d.log", seed))
				if err := os.WriteFile(kept, b, 0o600); err == nil {
					t.Logf("whole agent log: %s", kept)
				}
			}
			t.Logf("replay with: go test ./internal/chaos -run TestChaos -v -seed %d -duration %s -kills %d", seed, *durationFlag, *killsFlag)
		}
	}()

	f := &faults{n: map[string]int{}}
	ctx, stop := context.WithTimeout(context.Background(), *durationFlag)
	defer stop()
	var wg sync.WaitGroup
	run := func(k uint64, body func(rng *rand.Rand)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(rand.New(rand.NewPCG(seed, k)))
		}()
	}
	sup.start()
	watchCtx, stopWatch := context.WithCancel(context.Background())
	wg.Add(1)
	go func() { defer wg.Done(); sup.watch(watchCtx) }()

	// Orders keep coming to every store.
	run(1, func(rng *rand.Rand) {
		stores := []string{storeA, storeB, storeC}
		for sleepCtx(ctx, time.Duration(150+rng.IntN(300))*time.Millisecond) {
			if _, err := sm.AddOrder(stores[rng.IntN(len(stores))]); err != nil {
				t.Error(err)
				return
			}
		}
	})
	// Now and then an order whose receipt is on paper is cancelled.
	run(2, func(rng *rand.Rand) {
		for sleepCtx(ctx, time.Duration(1500+rng.IntN(2500))*time.Millisecond) {
			var printed []string
			for _, pr := range s.paper(t).Printings {
				if pr.Title == ticket.Title(order.KindReceipt) {
					printed = append(printed, pr.Order)
				}
			}
			s.mu.Lock()
			printed = slices.DeleteFunc(printed, func(id string) bool { return s.cancelled[id] })
			s.mu.Unlock()
			if len(printed) == 0 {
				continue
			}
			tid := printed[rng.IntN(len(printed))]
			s.mu.Lock()
			s.cancelled[tid] = true
			s.mu.Unlock()
			if err := sm.SetRefundState(tid, 12); err != nil {
				t.Error(err)
				return
			}
			f.add("order cancelled")
		}
	})
	// The POS keeps changing stock and prices.
	stockChanges := 0
	run(3, func(rng *rand.Rand) {
		for sleepCtx(ctx, time.Duration(300+rng.IntN(700))*time.Millisecond) {
			n, err := p.change(rng)
			if err != nil {
				t.Errorf("change POS: %v", err)
				return
			}
			stockChanges += n
		}
	})
	// SIGKILL at random moments, spread over the run.
	run(4, func(rng *rand.Rand) {
		if *killsFlag <= 0 {
			return
		}
		mean := *durationFlag / time.Duration(*killsFlag+1)
		for range *killsFlag {
			if !sleepCtx(ctx, mean/2+time.Duration(rng.Int64N(int64(mean)))) {
				return
			}
			if sup.kill() {
				if !sleepCtx(ctx, time.Duration(rng.IntN(300))*time.Millisecond) {
					sup.start()
					return
				}
				sup.start()
			}
		}
	})
	// Faults of every kind, overlapping, each lasting a little while.
	var undoErr error
	var undoMu sync.Mutex
	run(5, func(rng *rand.Rand) {
		busy := map[string]bool{}
		var mu sync.Mutex
		var fw sync.WaitGroup
		for sleepCtx(ctx, time.Duration(300+rng.IntN(1200))*time.Millisecond) {
			mu.Lock()
			part, undo := s.chaos(rng, busy, f)
			if undo != nil {
				busy[part] = true
			}
			mu.Unlock()
			if undo == nil {
				continue
			}
			d := time.Duration(1500+rng.IntN(4500)) * time.Millisecond
			fw.Add(1)
			go func() {
				defer fw.Done()
				sleepCtx(ctx, d)
				err := undo()
				undoMu.Lock()
				undoErr = errors.Join(undoErr, err)
				undoMu.Unlock()
				mu.Lock()
				busy[part] = false
				mu.Unlock()
			}()
		}
		fw.Wait()
	})
	<-ctx.Done()
	stopWatch()
	wg.Wait()
	if undoErr != nil {
		t.Errorf("undoing a fault: %v", undoErr)
	}
	if err := s.calm(); err != nil {
		t.Fatalf("stop the faults: %v", err)
	}
	sup.start() // unless it runs

	// The faults have stopped: the agent that went through them must catch
	// up by itself, without a restart.
	drained := func() (bool, string) {
		orders, keys := s.expected()
		sum := crashtest.Count(keys, s.paper(t).Printings)
		if sum.Lost > 0 {
			return false, fmt.Sprintf("%d of %d tickets of %d orders not printed, e.g. %v", sum.Lost, len(keys), orders, sum.LostTickets[:min(5, sum.Lost)])
		}
		if _, m := p.missing(sm.Stock()); len(m) > 0 {
			return false, fmt.Sprintf("%d stock values not at the platforms, e.g. %v", len(m), m[:min(3, len(m))])
		}
		return queueIdle(listen)
	}
	caughtUp := time.Now()
	var why string
	for {
		ok, w := drained()
		if ok {
			break
		}
		why = w
		if time.Since(caughtUp) > *recoverFlag {
			t.Errorf("the agent did not catch up within %s of the faults stopping: %s", *recoverFlag, why)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	recovered := time.Since(caughtUp)
	if err := sup.stop(); err != nil {
		t.Errorf("stopping the agent after the faults: %v", err)
	}

	// One last run on the same data: it has nothing left to print or
	// report, or finishes it, and stops cleanly.
	sup.start()
	last := time.Now()
	for {
		ok, w := drained()
		if ok {
			break
		}
		if time.Since(last) > *recoverFlag {
			t.Errorf("the last run did not finish within %s: %s", *recoverFlag, w)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // anything it would print twice, it prints now
	if err := sup.stop(); err != nil {
		t.Errorf("last run: %v", err)
	}

	orders, keys := s.expected()
	paper := s.paper(t)
	sum := crashtest.Count(keys, paper.Printings)
	printed := 0
	seen := map[string]bool{}
	for _, pr := range paper.Printings {
		if !seen[pr.Key()] && slices.Contains(keys, pr.Key()) {
			printed++
		}
		seen[pr.Key()] = true
	}
	stockExpected, missing := p.missing(sm.Stock())
	twice := appliedTwice(sm.Stock())
	sup.mu.Lock()
	kills, starts, selfExit := sup.kills, sup.starts, slices.Clone(sup.selfExit)
	sup.mu.Unlock()
	fmt.Printf("chaos: orders %d, tickets expected %d, printed %d, lost %d, unmarked duplicates %d, marked reprints %d, "+
		"stock changes expected %d, reported %d, applied twice %d (seed %d, kills %d, starts %d, stopped by itself %d, "+
		"printings %d, cut-off pieces %d, POS changes %d, stock calls %d, caught up in %s; faults: %s)\n",
		orders, len(keys), printed, sum.Lost, sum.UnmarkedDuplicates, sum.MarkedReprints,
		stockExpected, stockExpected-len(missing), len(twice), seed, kills, starts, len(selfExit),
		sum.Printings, paper.CutOff, stockChanges, len(sm.Stock().Calls()), recovered.Round(100*time.Millisecond), f)

	if orders == 0 {
		t.Error("no orders were made")
	}
	if sum.Lost > 0 {
		t.Errorf("%d tickets never printed whole: %v", sum.Lost, sum.LostTickets)
		t.Logf("cut-off pieces of orders: %v", paper.CutOffOrders)
	}
	if sum.UnmarkedDuplicates > 0 {
		t.Errorf("%d tickets printed again without the reprint mark: %v", sum.UnmarkedDuplicates, sum.Unmarked)
	}
	for _, pr := range paper.Printings {
		if !slices.Contains(keys, pr.Key()) {
			t.Errorf("printed a ticket nobody ordered: %s", pr.Key())
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d stock values never reached the platforms: %v", len(missing), missing[:min(10, len(missing))])
	}
	if len(twice) > 0 {
		t.Errorf("%d stock values applied twice: %v", len(twice), twice[:min(10, len(twice))])
	}
	// The only reason to stop is a disk so full at start that the queue
	// cannot even take back the jobs in flight: then, as under a service
	// manager, it is started again.
	for _, e := range selfExit {
		if !strings.Contains(e, "open queue") || !strings.Contains(e, "disk full") {
			t.Errorf("the agent stopped by itself: %s", e)
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
		if l := sc.Text(); strings.HasPrefix(l, "panic:") || strings.Contains(l, "DATA RACE") || strings.HasPrefix(l, "fatal error:") {
			t.Errorf("agent log: %s", l)
		}
	}
}
