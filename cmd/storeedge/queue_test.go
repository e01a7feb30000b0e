package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/agent"
	"storeedge/agent/api"
	"storeedge/queue"
)

// queueConfig writes a config whose agent listens on listen.
func queueConfig(t *testing.T, dir, listen string) string {
	t.Helper()
	cfg := fmt.Sprintf(`[agent]
data_dir = %q
status_listen = %q
uncertain = "hold"

[[platform]]
name = "youzan"
type = "youzan"
client_id = "c"
client_secret = "s"
grant_id = "1"

[[store]]
id = "1001"
name = "人民路店"

[[printer]]
name = "front"
uri = "file://front.bin"
paper = "80mm"

[[printer]]
name = "kitchen"
uri = "file://kitchen.bin"
paper = "80mm"

[[binding]]
store = "1001"
ticket = "receipt"
printers = ["front"]
`, filepath.Join(dir, "data"), listen)
	path := filepath.Join(dir, "shop.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// seedQueue leaves a held job "youzan/1001/E1/new/receipt/1", a pending
// job ".../E2/..." and a done job ".../E3/...".
func seedQueue(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "data", agent.QueueFile)
	opt := queue.Options{NoSync: true, HoldUncertain: true}
	q, err := queue.Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	id := func(o string) string { return "youzan/1001/" + o + "/new/receipt/1" }
	if _, err := q.Enqueue(queue.Job{ID: id("E1"), Printer: "front"}, queue.Job{ID: id("E3"), Printer: "kitchen"}, queue.Job{ID: id("E2"), Printer: "front"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"front", "kitchen"} {
		if _, ok, err := q.Lease(p, time.Minute); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if err := q.Ack(id("E3")); err != nil {
		t.Fatal(err)
	}
	q.Close() // E1 in flight: held at the next open
	return path
}

func TestQueueCommand(t *testing.T) {
	for _, mode := range []string{"stopped", "running"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			cfg := queueConfig(t, dir, ln.Addr().String())
			qpath := seedQueue(t, dir)
			if mode == "running" {
				// A running agent holds the queue and serves the API.
				q, err := queue.Open(qpath, queue.Options{NoSync: true, HoldUncertain: true})
				if err != nil {
					t.Fatal(err)
				}
				defer q.Close()
				mux := http.NewServeMux()
				for pat, h := range api.Routes(api.Local{Queue: q}, nil) {
					mux.Handle(pat, h)
				}
				srv := &http.Server{Handler: mux}
				go srv.Serve(ln)
				defer srv.Close()
			} else {
				ln.Close()
			}
			const e1, e2, e3 = "youzan/1001/E1/new/receipt/1", "youzan/1001/E2/new/receipt/1", "youzan/1001/E3/new/receipt/1"
			tests := []struct {
				args []string
				code int
				want []string
			}{
				{[]string{"ls"}, 0, []string{e1, "held", "reprint mark", e2, "pending", e3, "done"}},
				{[]string{"ls", "--state", "held", "--json"}, 0, []string{`"id": "` + e1 + `"`, `"state": "held"`}},
				{[]string{"show", e1}, 0, []string{"state:", "held", "attempts:", "1"}},
				{[]string{"release", e1}, 0, []string{"release: job " + e1 + " is now pending on printer front"}},
				{[]string{"drop", e2, "--reason", "phoned in twice"}, 0, []string{"is now dropped"}},
				{[]string{"show", e2, "--json"}, 0, []string{`"last_error": "dropped: phoned in twice"`}},
				{[]string{"retry", e2}, 0, []string{"is now pending"}},
				{[]string{"reprint", e3, "--printer", "front"}, 0, []string{"job " + e3 + "#r1 is now pending on printer front"}},
				{[]string{"reprint", e2}, 1, []string{"want done, dead or dropped"}},
				{[]string{"show", "nope"}, 1, []string{`job "nope"`, "not found"}},
				{[]string{"ls", "--state", "lost"}, 2, []string{`unknown state "lost"`}},
				{[]string{"show"}, 2, []string{"a JOB-ID is required"}},
				{[]string{"ls", "extra"}, 2, []string{`unexpected argument "extra"`}},
				{[]string{"frob"}, 2, []string{`unknown queue command "frob"`}},
			}
			for _, tc := range tests {
				args := append([]string{"queue", tc.args[0], "--config", cfg}, tc.args[1:]...)
				code, out, errs := cli(t, args...)
				all := out + errs
				if code != tc.code {
					t.Errorf("%v: exit %d, want %d: %s", tc.args, code, tc.code, all)
					continue
				}
				for _, w := range tc.want {
					if !strings.Contains(all, w) {
						t.Errorf("%v: output lacks %q:\n%s", tc.args, w, all)
					}
				}
				if strings.Contains(strings.Join(tc.args, " "), "--json") && code == 0 {
					var v any
					if err := json.Unmarshal([]byte(out), &v); err != nil {
						t.Errorf("%v: not JSON: %v", tc.args, err)
					}
				}
			}
		})
	}
}

func TestCheckConfigReportsMovedAsideQueue(t *testing.T) {
	dir := t.TempDir()
	cfg := queueConfig(t, dir, "127.0.0.1:8723")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o750); err != nil {
		t.Fatal(err)
	}
	qpath := filepath.Join(dir, "data", agent.QueueFile)
	if err := os.WriteFile(qpath, []byte("garbage, not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := cli(t, "check-config", "--config", cfg)
	if code != 1 || !strings.Contains(errs, "corrupted or unreadable") {
		t.Fatalf("corrupt queue: exit %d: %s", code, errs)
	}
	// The agent moves it aside at start; check-config keeps saying so.
	q, err := queue.Open(qpath, queue.Options{MoveAsideCorrupt: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	code, _, errs = cli(t, "check-config", "--config", cfg)
	if code != 1 || !strings.Contains(errs, ".corrupt-") || !strings.Contains(errs, "remove it") {
		t.Fatalf("moved aside: exit %d: %s", code, errs)
	}
}
