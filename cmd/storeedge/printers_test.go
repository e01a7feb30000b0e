package main

import (
	"bytes"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"storeedge/printer"
	"storeedge/printer/escpos"
	"storeedge/printer/status/statustest"
)

// netPrinter serves one emulated network printer on loopback.
func netPrinter(t *testing.T, replies [4]byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				p := statustest.New()
				p.Set(replies)
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if ans := p.Feed(buf[:n]); len(ans) > 0 {
						c.Write(ans)
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestPrintTestToAFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "test.bin")
	code, stdout, stderr := cli(t, "print-test", "--uri", "file://"+out, "--paper", "58mm")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "status read back: online") {
		t.Errorf("output:\n%s", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := escpos.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(doc.Text(), "\n"); !strings.Contains(text, "打印测试") {
		t.Errorf("the file does not hold the test page:\n%s", text)
	}
}

func TestPrintTestReportsTheStatus(t *testing.T) {
	tests := []struct {
		name    string
		replies [4]byte
		code    int
		want    string
	}{
		{"online", statustest.Online, 0, "status read back: online"},
		{"paper low", statustest.PaperLow, 0, "status read back: paper_low (roll paper near end)"},
		{"paper out", statustest.PaperOut, 1, "paper_out (paper end)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := netPrinter(t, tt.replies)
			code, stdout, stderr := cli(t, "print-test", "--uri", "tcp://"+addr)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.want) {
				t.Fatalf("exit %d (want %d), output:\n%s%s", code, tt.code, stdout, stderr)
			}
		})
	}
}

func TestPrintTestUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "--printer NAME (with --config FILE) or --uri URI is required"},
		{[]string{"--printer", "front", "--uri", "tcp://10.0.0.9"}, "not both"},
		{[]string{"--uri", "lpt://1"}, `unknown scheme "lpt"`},
		{[]string{"--uri", "tcp://10.0.0.9", "--paper", "A4"}, `--paper "A4"`},
		{[]string{"--printer", "front"}, "--config FILE is required"},
	}
	for _, tt := range tests {
		code, _, stderr := cli(t, append([]string{"print-test"}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("print-test %v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestPrintersListsEveryKind(t *testing.T) {
	code, stdout, stderr := cli(t, "printers", "--timeout", "10s")
	for _, want := range []string{"USB printers:", "Serial ports:", "Network printers"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if code != 0 {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// golden compares got with testdata/name, rewriting it under go test -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after checking):\n%s", path, got)
	}
}

func TestPrintDiscovery(t *testing.T) {
	results := []printer.Discovery{
		{Scheme: "serial", Found: []printer.Found{
			{URI: "serial:///dev/ttyS0?baud=9600&flow=none", Name: "serial port"},
			{URI: "serial:///dev/ttyUSB0?baud=9600&flow=none", Name: "USB-SERIAL CH340", Detail: "usb 1a86:7523"},
		}},
		{Scheme: "usb", Found: []printer.Found{
			{URI: "usb://0416:5011?serial=A1", Name: "Winbond POS-80", Detail: "bus 1 address 2, serial A1, two-way: it can report its status"},
			{URI: "usb://04b8:0e15", Name: "EPSON TM-T20II", Detail: "bus 1 address 5, one-way: no status channel"},
		}},
	}
	var out bytes.Buffer
	if err := printDiscovery(&out, results, map[string]string{"spool": "only in Windows builds"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "printers.golden", out.Bytes())

	out.Reset()
	err := printDiscovery(&out, []printer.Discovery{{Scheme: "usb", Err: errors.New("libusb: access denied")}}, nil)
	if err == nil || !strings.Contains(out.String(), "USB printers:\n  cannot list them: libusb: access denied") {
		t.Fatalf("err %v, output:\n%s", err, out.String())
	}
}
