package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"storeedge/agent/config"
	"storeedge/sync/sim"
)

var updateStores = flag.Bool("update", false, "rewrite the golden files under testdata")

// simConfig serves a simulator and writes a config with its Youzan and
// Wangdiantong accounts.
func simConfig(t *testing.T, chain bool, stores int) string {
	t.Helper()
	st, err := sim.MakeStores(stores, chain)
	if err != nil {
		t.Fatal(err)
	}
	s := sim.New(sim.Options{Stores: st, Chain: chain, ClientID: simClientID, ClientSecret: simClientSecret, KdtID: simKdtID})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	mode := "multi_outlet"
	if chain {
		mode = "chain"
	}
	dir := t.TempDir()
	text := fmt.Sprintf(`[agent]
data_dir = %q

[[platform]]
name = "youzan"
type = "youzan"
base_url = %q
client_id = "demo-client"
client_secret = "demo-secret"
grant_id = "90001"
mode = %q

[[platform]]
name = "wdt"
type = "wdt"
base_url = "%s/openapi2"
sid = "demo-sid"
appkey = "demo-appkey"
appsecret = "demo-appsecret"
`, dir, srv.URL, mode, srv.URL)
	path := filepath.Join(dir, "shop.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func goldenStores(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateStores {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s", path, got)
	}
}

func TestStoresCommand(t *testing.T) {
	multi := simConfig(t, false, 4)
	chain := simConfig(t, true, 3)
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"outlets as TOML with bindings", []string{"--config", multi, "--platform", "youzan", "--bind", "receipt=front,kitchen=kitchen"}, "stores_outlets.toml"},
		{"branches as TOML", []string{"--config", chain, "--platform", "youzan"}, "stores_branches.toml"},
		{"wangdiantong shops as a table", []string{"--config", multi, "--platform", "wdt", "--format", "table"}, "stores_wdt.txt"},
		{"matching outlets as JSON", []string{"--config", multi, "--platform", "youzan", "--format", "json", "--match", "静安"}, "stores_match.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cli(t, append([]string{"stores"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			goldenStores(t, tt.golden, out)
		})
	}
}

// The TOML the command writes, pasted under a config's printers, loads.
func TestStoresTOMLPastes(t *testing.T) {
	path := simConfig(t, true, 3)
	code, out, errs := cli(t, "stores", "--config", path, "--platform", "youzan", "--bind", "receipt=front")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var v map[string]any
	if err := toml.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("output is not TOML: %v\n%s", err, out)
	}
	base, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(base), "\n[[platform]]\nname = \"wdt\"", "\n[[platform]]\nname = \"wdt-unused\"", 1)
	text += "\n[[printer]]\nname = \"front\"\nuri = \"file://front.bin\"\n\n" + out
	full := filepath.Join(filepath.Dir(path), "full.toml")
	if err := os.WriteFile(full, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(full)
	if err != nil {
		t.Fatalf("pasted config does not load: %v\n%s", err, text)
	}
	if len(cfg.Stores) != 3 || cfg.Stores[0].GrantID != cfg.Stores[0].ID || len(cfg.Bindings) != 3 {
		t.Errorf("pasted config: %d stores (first %+v), %d bindings", len(cfg.Stores), cfg.Stores[0], len(cfg.Bindings))
	}
}

func TestStoresCommandErrors(t *testing.T) {
	path := simConfig(t, false, 2)
	dead := simConfig(t, false, 1)
	text, _ := os.ReadFile(dead)
	deadURL := "http://127.0.0.1:1"
	if err := os.WriteFile(dead, []byte(strings.Replace(string(text), `base_url = "http`, `base_url = "`+deadURL+`" #`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--platform", "youzan"}, 2, "--config FILE is required"},
		{[]string{"--config", path}, 2, "--platform NAME is required: " + path + " has youzan, wdt"},
		{[]string{"--config", path, "--platform", "yz"}, 2, `has no platform "yz" (it has youzan, wdt)`},
		{[]string{"--config", path, "--platform", "youzan", "--format", "csv"}, 2, `--format "csv"`},
		{[]string{"--config", path, "--platform", "youzan", "--bind", "receipt"}, 2, "want KIND=PRINTER"},
		{[]string{"--config", path, "--platform", "youzan", "--bind", "label=front"}, 2, `ticket kind "label"`},
		{[]string{"--config", filepath.Join(t.TempDir(), "none.toml"), "--platform", "youzan"}, 2, "none.toml"},
		{[]string{"--config", dead, "--platform", "youzan"}, 1, "youzan youzan: list stores"},
	}
	for _, tt := range tests {
		code, _, errs := cli(t, append([]string{"stores"}, tt.args...)...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("stores %v: exit %d, stderr %q; want exit %d saying %q", tt.args, code, errs, tt.code, tt.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSimCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runSim(ctx, []string{"--listen", "127.0.0.1:0", "--stores", "5", "--chain", "--orders-per-minute", "0", "--seed", "3"}, &out, &errb)
	}()
	var base string
	deadline := time.Now().Add(10 * time.Second)
	for base == "" {
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		for sc.Scan() {
			if u, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "url:"); ok {
				base = strings.TrimSpace(u)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no url printed: %s %s", out.String(), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{"client_id demo-client, client_secret demo-secret, grant_id 90001, mode chain",
		"sid demo-sid, appkey demo-appkey, appsecret demo-appsecret", "60000005", "[[platform]]"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// A branch gets a token of its own from the simulator that was printed.
	resp, err := http.Post(base+"/auth/token", "application/json", strings.NewReader(
		`{"client_id":"demo-client","client_secret":"demo-secret","authorize_type":"silent","grant_id":"60000005","refresh":false}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var a struct {
		Success bool `json:"success"`
	}
	if json.Unmarshal(b, &a); !a.Success {
		t.Errorf("token of branch 60000005: %s", b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop")
	}
}

func TestSimCommandFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--stores", "0"}, "--stores 0"},
		{[]string{"--cancel-rate", "2"}, "--cancel-rate 2"},
		{[]string{"--orders-per-minute", "-1"}, "--orders-per-minute -1"},
		{[]string{"--push-url", "ftp://x"}, "--push-url"},
		{[]string{"--listen", "nowhere:-1"}, "listen on nowhere:-1"},
	} {
		code, _, errs := cli(t, append([]string{"sim"}, tt.args...)...)
		if code == 0 || !strings.Contains(errs, tt.want) {
			t.Errorf("sim %v: exit %d, %q; want an error saying %q", tt.args, code, errs, tt.want)
		}
	}
}
