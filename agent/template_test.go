package agent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/agent/config"
	"storeedge/queue"
)

// bindTemplate rewrites the harness config so store1's receipt binding uses
// the template file, and reloads it.
func (h *harness) bindTemplate(t *testing.T, tmpl string) string {
	t.Helper()
	path := filepath.Join(h.dataDir, "receipt.tmpl")
	if err := os.WriteFile(path, []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := h.cfg.File
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	old := "ticket = \"receipt\"\nprinters = [\"store1\"]\n"
	if !strings.Contains(string(b), old) {
		t.Fatalf("config has no receipt binding for store1:\n%s", b)
	}
	text := strings.Replace(string(b), old, old+"template = "+quoteTOML(path)+"\n", 1)
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	h.cfg = cfg
	return path
}

func quoteTOML(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }

func TestUserTemplatePrints(t *testing.T) {
	h := newHarness(t)
	h.bindTemplate(t, "<CB>{{.Store}}</CB><BR>自定义小票 {{.Order.ID}}<BR><CUT>")
	store1 := h.sim.Stores()[0].ID
	tr, err := h.sim.AddOrder(store1)
	if err != nil {
		t.Fatal(err)
	}
	r := h.start()
	waitFor(t, "receipt and kitchen printed", 20*time.Second, func() bool {
		st, err := r.a.Queue().Stats()
		return err == nil && st.Done == 2
	})
	r.halt(t)
	lines := h.paper(t)["store1"]
	if !contains(lines, "自定义小票 "+tr.TID) {
		t.Errorf("the template's line is not on paper:\n%s", strings.Join(lines, "\n"))
	}
	if !contains(lines, "订单号: "+tr.TID) {
		t.Errorf("the kitchen ticket (built-in layout) is not on paper")
	}
}

func TestFailingTemplateFailsOnlyItsJobs(t *testing.T) {
	h := newHarness(t)
	// Parses, but fails while printing: the order has no field Nope.
	path := h.bindTemplate(t, "第一行<BR>\n{{.Order.Nope}}<BR><CUT>")
	stores := h.sim.Stores()
	a1, err := h.sim.AddOrder(stores[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.sim.AddOrder(stores[1].ID); err != nil {
		t.Fatal(err)
	}
	r := h.start()
	// store1: receipt dead, kitchen printed; store2: both printed.
	waitFor(t, "jobs settled", 20*time.Second, func() bool {
		st, err := r.a.Queue().Stats()
		return err == nil && st.Done == 3 && st.Dead == 1
	})
	dead, err := r.a.Queue().List(queue.Filter{States: []queue.State{queue.Dead}})
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead jobs: %v %v", dead, err)
	}
	j := dead[0]
	if !strings.Contains(j.ID, a1.TID) || !strings.Contains(j.ID, "/receipt/") {
		t.Errorf("dead job %s is not store1's receipt", j.ID)
	}
	for _, want := range []string{filepath.Base(path), ":2", "Nope"} {
		if !strings.Contains(j.LastError, want) {
			t.Errorf("dead job error %q lacks %q", j.LastError, want)
		}
	}
	// The agent is still serving.
	if s := r.status(t); len(s.Printers) != 2 {
		t.Errorf("status after a template failure: %+v", s.Printers)
	}
	r.halt(t)
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}
