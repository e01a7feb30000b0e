package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs the command line in-process.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestTicketRenderThenText(t *testing.T) {
	dir := t.TempDir()
	for _, paper := range []string{"58mm", "80mm"} {
		for _, kind := range []string{"receipt", "kitchen", "cancel"} {
			code, bin, errs := cli(t, "ticket", "render", "--order", "testdata/order.json", "--kind", kind, "--paper", paper)
			if code != 0 {
				t.Fatalf("render %s %s: exit %d: %s", kind, paper, code, errs)
			}
			if !bytes.Contains([]byte(bin), []byte{0x1c, 0x26}) {
				t.Errorf("render %s %s: no FS & (Chinese mode on) in output", kind, paper)
			}
			f := filepath.Join(dir, kind+paper+".bin")
			if err := os.WriteFile(f, []byte(bin), 0o644); err != nil {
				t.Fatal(err)
			}
			code, text, errs := cli(t, "ticket", "text", f)
			if code != 0 || errs != "" {
				t.Fatalf("text %s %s: exit %d: %s", kind, paper, code, errs)
			}
			for _, want := range []string{"人民路店", "杨枝甘露", "大杯/少冰", "订单号: E20240101123456000000001"} {
				if !strings.Contains(text, want) {
					t.Errorf("%s %s: decoded text lacks %q:\n%s", kind, paper, want, text)
				}
			}
			if kind == "receipt" {
				for _, want := range []string{"36.00", "12.50", "47.50", "少放辣，不要葱"} {
					if !strings.Contains(text, want) {
						t.Errorf("receipt %s: decoded text lacks %q:\n%s", paper, want, text)
					}
				}
				if !totalLine(text, "实付", "47.50") {
					t.Errorf("receipt %s: no total line 实付 ... 47.50:\n%s", paper, text)
				}
			}
		}
	}
}

func totalLine(text, label, amount string) bool {
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == label && f[1] == amount {
			return true
		}
	}
	return false
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[agent]\ndata_dir = \"/tmp/x\"\ncolour = \"red\"\n"), 0o644)
	badOrder := filepath.Join(dir, "order.json")
	os.WriteFile(badOrder, []byte(`{"id": "E1", "status": "paid"}`), 0o644)
	tests := []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"version"}, 0, ""},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"check-config"}, 2, "--config FILE is required"},
		{[]string{"check-config", "--config", bad}, 2, bad + ":3: agent.colour: unknown key"},
		{[]string{"check-config", "--config", filepath.Join(dir, "missing.toml")}, 2, "no such file"},
		{[]string{"run", "--config", bad}, 2, "agent.colour"},
		{[]string{"ticket", "render", "--order", badOrder}, 2, badOrder + `: order "E1": platform: is empty`},
		{[]string{"ticket", "render", "--order", "testdata/order.json", "--kind", "menu"}, 2, `--kind "menu"`},
		{[]string{"ticket", "render", "--order", "testdata/order.json", "--paper", "76mm"}, 2, `--paper "76mm"`},
		{[]string{"ticket", "text"}, 2, "usage"},
		{[]string{"demo", "--orders-per-minute", "-1"}, 2, "must not be negative"},
		{[]string{"version", "-h"}, 0, ""},
	}
	for _, tt := range tests {
		code, _, errs := cli(t, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.inStderr) {
			t.Errorf("storeedge %v: exit %d, stderr %q; want exit %d with %q", tt.args, code, errs, tt.code, tt.inStderr)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := cli(t, "version")
	if code != 0 || !strings.HasPrefix(out, "storeedge ") || !strings.Contains(out, "commit") || !strings.Contains(out, "built") {
		t.Fatalf("version: %d %q", code, out)
	}
}
