package stock_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"storeedge/decimal"
	"storeedge/internal/testbin"
	"storeedge/sync/sim"
)

// TestKilledAgentReportsEveryChangeOnce builds storeedge, runs it as a
// child process against a SQLite POS database and the simulator, and
// kills it (SIGKILL) several times while it is reporting. Every change
// must reach both platforms, and none may be applied twice.
func TestKilledAgentReportsEveryChangeOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the storeedge binary")
	}
	dir := t.TempDir()
	bin, err := testbin.Build(dir)
	if err != nil {
		t.Fatal(err)
	}

	sm := sim.New(sim.Options{})
	srv := httptest.NewServer(sm.Handler())
	defer srv.Close()
	st := sm.Stock()
	st.SetLatency(80 * time.Millisecond) // applied, then answered late: a kill loses the answer

	const n = 1000
	pos, err := sql.Open("sqlite", filepath.Join(dir, "pos.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer pos.Close()
	if _, err := pos.Exec(`CREATE TABLE goods (code TEXT PRIMARY KEY, qty DECIMAL(12,3), price DECIMAL(12,2))`); err != nil {
		t.Fatal(err)
	}
	qty := map[string]string{}
	price := map[string]string{}
	tx, _ := pos.Begin()
	for i := range n {
		code := fmt.Sprintf("69%08d", i)
		qty[code], price[code] = fmt.Sprint(i%50), fmt.Sprintf("%d.50", 1+i%20)
		if _, err := tx.Exec(`INSERT INTO goods VALUES (?, ?, ?)`, code, qty[code], price[code]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	cfg := filepath.Join(dir, "shop.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
[agent]
data_dir = "data"
status_listen = "127.0.0.1:0"

[[platform]]
type = "youzan"
base_url = %[1]q
client_id = "demo-client"
client_secret = "demo-secret"
grant_id = "90001"
poll = "1h"

[[store]]
id = "43435545"

[[stock_source]]
name = "pos"
type = "sql"
driver = "sqlite"
dsn = "pos.db"
query = "SELECT code AS sku, qty AS stock, price FROM goods"
store = "43435545"
interval = "5s"

[[reporter]]
type = "hiding"
base_url = "%[1]s/hiding"
tenant_id = %[2]q
authorization = %[3]q
resync = "0s"

[[reporter]]
type = "wdt"
base_url = "%[1]s/openapi2"
sid = "demo-sid"
appkey = "demo-appkey"
appsecret = "demo-appsecret"
stores = { "43435545" = "WH01" }
resync = "0s"
`, srv.URL, sim.HidingTenant, sim.HidingAuthorization)), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "agent.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	start := func() *exec.Cmd {
		c := exec.Command(bin, "run", "--config", cfg)
		c.Stdout, c.Stderr = logf, logf
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	fail := func(format string, a ...any) {
		t.Helper()
		log, _ := os.ReadFile(logf.Name())
		if len(log) > 4000 {
			log = log[len(log)-4000:]
		}
		t.Fatalf(format+"\nagent log (end):\n%s", append(a, log)...)
	}

	rng := rand.New(rand.NewPCG(7, 7))
	const rounds = 5
	kills := 0
	for round := 1; round <= rounds; round++ {
		// The POS changes 150 stock numbers and 40 prices.
		tx, _ := pos.Begin()
		for range 150 {
			code := fmt.Sprintf("69%08d", rng.IntN(n))
			qty[code] = fmt.Sprint(round*100 + rng.IntN(50))
			if _, err := tx.Exec(`UPDATE goods SET qty = ? WHERE code = ?`, qty[code], code); err != nil {
				t.Fatal(err)
			}
		}
		for range 40 {
			code := fmt.Sprintf("69%08d", rng.IntN(n))
			price[code] = fmt.Sprintf("%d.%02d", round, rng.IntN(100))
			if _, err := tx.Exec(`UPDATE goods SET price = ? WHERE code = ?`, price[code], code); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		before := len(st.Calls())
		c := start()
		deadline := time.Now().Add(30 * time.Second)
		for len(st.Calls()) <= before+rng.IntN(3) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
		if err := c.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = c.Wait()
		kills++
	}

	// A last run without a kill reports whatever is left.
	c := start()
	defer func() {
		if c.ProcessState == nil {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	canon := func(s string) string { return decimal.MustParse(s).String() }
	missing := func() []string {
		var out []string
		for code, q := range qty {
			q := canon(q)
			if v, _ := st.Value(sim.StockHiding, "stock", "43435545", code); v != q {
				out = append(out, fmt.Sprintf("hiding stock %s = %q, want %s", code, v, q))
			}
			if v, _ := st.Value(sim.StockWDT, "stock", "WH01", code); v != q {
				out = append(out, fmt.Sprintf("wdt stock %s = %q, want %s", code, v, q))
			}
			if v, _ := st.Value(sim.StockHiding, "price", "43435545", code); v != canon(price[code]) {
				out = append(out, fmt.Sprintf("hiding price %s = %q, want %s", code, v, canon(price[code])))
			}
		}
		return out
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(missing()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if m := missing(); len(m) > 0 {
		fail("%d values never arrived, e.g. %v", len(m), m[:min(5, len(m))])
	}
	if err := c.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		fail("agent stopped with %v", err)
	}

	// None applied twice: each item key once, and no SKU shows the same
	// value applied twice in a row (a repeated change).
	keys := map[string]bool{}
	lastVal := map[string]string{}
	for _, a := range st.Applied() {
		if a.Key != "" {
			if keys[a.Platform+a.Key] {
				t.Errorf("%s key %s applied twice", a.Platform, a.Key)
			}
			keys[a.Platform+a.Key] = true
		}
		id := a.Platform + "/" + a.Kind + "/" + a.SKU
		if v, ok := lastVal[id]; ok && v == a.Value {
			t.Errorf("%s %s %s: value %s applied twice in a row", a.Platform, a.Kind, a.SKU, a.Value)
		}
		lastVal[id] = a.Value
	}
	dups := 0
	for _, c := range st.Calls() {
		if c.Duplicate {
			dups++
		}
	}
	t.Logf("%d kills, %d calls, %d repeated calls recognised by their keys, %d values applied", kills, len(st.Calls()), dups, len(st.Applied()))
}
