package uri

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		in   string
		want URI
	}{
		{"file:///var/lib/storeedge/out.bin", URI{Scheme: File, Path: "/var/lib/storeedge/out.bin"}},
		{"file://out/front.bin", URI{Scheme: File, Path: "out/front.bin"}},
		{"file:///C:/ProgramData/storeedge/out.bin", URI{Scheme: File, Path: "C:/ProgramData/storeedge/out.bin"}},
		{`file://C:\out\front.bin`, URI{Scheme: File, Path: `C:\out\front.bin`}},
		{"file:///tmp/50%25%20off.bin", URI{Scheme: File, Path: "/tmp/50% off.bin"}},
		{"FILE:///x", URI{Scheme: File, Path: "/x"}},
		{"tcp://10.0.0.9", URI{Scheme: TCP, Host: "10.0.0.9", Port: 9100}},
		{"tcp://10.0.0.9:9100", URI{Scheme: TCP, Host: "10.0.0.9", Port: 9100}},
		{"tcp://printer-1.shop.lan:6001/", URI{Scheme: TCP, Host: "printer-1.shop.lan", Port: 6001}},
		{"tcp://[::1]:9101", URI{Scheme: TCP, Host: "::1", Port: 9101}},
		{"tcp://[fe80::1]", URI{Scheme: TCP, Host: "fe80::1", Port: 9100}},
		{"tcp://localhost:65535", URI{Scheme: TCP, Host: "localhost", Port: 65535}},
		{"serial:///dev/ttyUSB0", URI{Scheme: Serial, Path: "/dev/ttyUSB0", Baud: 9600, Flow: "none"}},
		{"serial:///dev/ttyUSB0?baud=9600&flow=rtscts", URI{Scheme: Serial, Path: "/dev/ttyUSB0", Baud: 9600, Flow: "rtscts",
			Params: map[string]string{"baud": "9600", "flow": "rtscts"}}},
		{"serial://COM3?baud=19200", URI{Scheme: Serial, Path: "COM3", Baud: 19200, Flow: "none",
			Params: map[string]string{"baud": "19200"}}},
		{`serial://\\.\COM12?flow=XONXOFF`, URI{Scheme: Serial, Path: `\\.\COM12`, Baud: 9600, Flow: "xonxoff",
			Params: map[string]string{"flow": "XONXOFF"}}},
		{"usb://0416:5011", URI{Scheme: USB, VID: 0x0416, PID: 0x5011}},
		{"usb://04b8:0E15?serial=ABC123", URI{Scheme: USB, VID: 0x04b8, PID: 0x0e15, Serial: "ABC123",
			Params: map[string]string{"serial": "ABC123"}}},
		{"usb://0416:5011?serial=A%20B", URI{Scheme: USB, VID: 0x0416, PID: 0x5011, Serial: "A B",
			Params: map[string]string{"serial": "A B"}}},
		{"spool://POS-80", URI{Scheme: Spool, Path: "POS-80"}},
		{"spool://POS 80 打印机", URI{Scheme: Spool, Path: "POS 80 打印机"}},
		{"spool://POS%2080", URI{Scheme: Spool, Path: "POS 80"}},
		{`spool://\\SHOP-PC\Kitchen`, URI{Scheme: Spool, Path: `\\SHOP-PC\Kitchen`}},
		{"  tcp://10.0.0.9  ", URI{Scheme: TCP, Host: "10.0.0.9", Port: 9100}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			tt.want.Raw = tt.in
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "empty printer uri"},
		{"   ", "empty printer uri"},
		{"COM3", `"COM3" has no scheme; write it like tcp://10.0.0.9:9100, usb://0416:5011 or spool://POS-80`},
		{"lpt://1", `unknown scheme "lpt"; use file, tcp, serial, usb or spool`},
		{"http://10.0.0.9", `unknown scheme "http"; use file, tcp, serial, usb or spool`},
		{"file://", "file: missing path; write file:///abs/path or file://relative/path"},
		{"file:///x?mode=a", `file: unknown query key "mode"; file takes no query`},
		{"file:///tmp/50%off", `file: "/tmp/50%off" has a bad percent escape (write a literal % as %25)`},
		{"file:///tmp/a%0Ab", "file: address contains a control character"},
		{"file:///tmp/a%FFb", "file: address is not valid UTF-8"},
		{"tcp://", "tcp: missing host; write tcp://HOST or tcp://HOST:PORT"},
		{"tcp://:9100", "tcp: missing host; write tcp://HOST or tcp://HOST:PORT"},
		{"tcp://10.0.0.9:70000", "tcp: port 70000 out of range"},
		{"tcp://10.0.0.9:0", "tcp: port 0 out of range"},
		{"tcp://10.0.0.9:99999999999999999999", "tcp: port 99999999999999999999 out of range"},
		{"tcp://10.0.0.9:ab", `tcp: port "ab" is not a number`},
		{"tcp://10.0.0.9:-1", `tcp: port "-1" is not a number`},
		{"tcp://10.0.0.9:", "tcp: empty port after ':'"},
		{"tcp://10.0.0.999", `tcp: "10.0.0.999" is not a valid IPv4 address`},
		{"tcp://pos printer", `tcp: "pos printer" is not a valid host name or IP address`},
		{"tcp://a..b", `tcp: "a..b" is not a valid host name or IP address`},
		{"tcp://10.0.0.9:9100/raw", `tcp: "10.0.0.9:9100/raw" has a path; write only HOST[:PORT]`},
		{"tcp://fe80::1", "tcp: write the IPv6 address in brackets, like tcp://[fe80::1]:9100"},
		{"tcp://[fe80::1", `tcp: "[fe80::1" has no closing ] after the IPv6 address`},
		{"tcp://[1.2.3.4]:9100", `tcp: "1.2.3.4" is not an IPv6 address`},
		{"tcp://[::1]x", `tcp: unexpected "x" after the IPv6 address`},
		{"tcp://10.0.0.9?timeout=5", `tcp: unknown query key "timeout"; tcp takes no query`},
		{"serial://", "serial: missing device; write serial:///dev/ttyUSB0 or serial://COM3"},
		{"serial://dev/ttyUSB0", `serial: device "dev/ttyUSB0" is neither an absolute path nor a COM port; write serial:///dev/ttyUSB0 or serial://COM3`},
		{"serial://COM0", `serial: device "COM0" is neither an absolute path nor a COM port; write serial:///dev/ttyUSB0 or serial://COM3`},
		{"serial://COM3?baud=fast", `serial: baud "fast" is not a number`},
		{"serial://COM3?baud=96000", "serial: baud 96000 is not a standard rate (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)"},
		{"serial://COM3?flow=hw", `serial: flow "hw" is not none, rtscts or xonxoff`},
		{"serial://COM3?parity=even", `serial: unknown query key "parity"; known: baud, flow`},
		{"serial://COM3?baud=9600&baud=19200", `serial: query key "baud" given twice`},
		{"serial://COM3?baud=%ZZ", `serial: value of "baud" has a bad percent escape`},
		{"usb://04G6:5011", `usb: "04G6" is not a hex vendor id`},
		{"usb://0416:50111", `usb: "50111" is not a hex product id`},
		{"usb://416:5011", `usb: "416" is not a hex vendor id`},
		{"usb://04165011", `usb: "04165011" is not VID:PID in hex, like usb://0416:5011`},
		{"usb://0416:5011?serial=", "usb: serial is empty; drop ?serial= or give the device's serial number"},
		{"usb://0416:5011?sn=1", `usb: unknown query key "sn"; known: serial`},
		{"spool://", "spool: missing printer name; write spool://NAME as Windows shows it"},
		{"spool://%20", "spool: missing printer name; write spool://NAME as Windows shows it"},
		{"spool://POS-80?copies=2", `spool: unknown query key "copies"; spool takes no query`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error %q", tt.in, got, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got %s\nwant %s", tt.in, err, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"TCP://10.0.0.9", "tcp://10.0.0.9:9100"},
		{"tcp://[::1]:9101", "tcp://[::1]:9101"},
		{"serial://COM3", "serial://COM3?baud=9600&flow=none"},
		{"usb://04B8:0E15?serial=A%26B", "usb://04b8:0e15?serial=A%26B"},
		{"spool://POS 80 打印机", "spool://POS 80 打印机"},
		{"spool://%20a%3Fb%25%20", "spool://%20a%3Fb%25%20"},
		{"file:///tmp/out.bin", "file:///tmp/out.bin"},
	}
	for _, tt := range tests {
		u, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := u.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// same compares two URIs ignoring the text they came from.
func same(a, b URI) bool {
	a.Raw, b.Raw, a.Params, b.Params = "", "", nil, nil
	return reflect.DeepEqual(a, b)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"file:///abs/out.bin", "file://rel/out.bin", "tcp://10.0.0.9:9100", "tcp://[::1]",
		"serial:///dev/ttyUSB0?baud=9600&flow=rtscts", "serial://COM3?baud=19200",
		"usb://0416:5011?serial=ABC", "spool://POS 80 打印机", "spool://%20x%3F", "lpt://1",
		"usb://04G6:5011", "tcp://10.0.0.9:70000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Parse(%q): empty error text", s)
			}
			return
		}
		if u.Raw != s {
			t.Fatalf("Raw = %q, want %q", u.Raw, s)
		}
		switch u.Scheme {
		case File, Spool:
			if u.Path == "" {
				t.Fatalf("Parse(%q): empty path", s)
			}
		case Serial:
			if u.Path == "" || u.Baud == 0 || u.Flow == "" {
				t.Fatalf("Parse(%q): serial without device, baud or flow: %+v", s, u)
			}
		case TCP:
			if u.Host == "" || u.Port < 1 || u.Port > 65535 {
				t.Fatalf("Parse(%q): bad tcp address %+v", s, u)
			}
		case USB:
		default:
			t.Fatalf("Parse(%q): scheme %q", s, u.Scheme)
		}
		canon := u.String()
		v, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) ok but its canonical form %q fails: %v", s, canon, err)
		}
		if !same(u, v) {
			t.Fatalf("round trip of %q through %q:\n got %+v\nwant %+v", s, canon, v, u)
		}
		if strings.TrimSpace(s) == "" {
			t.Fatalf("Parse(%q) accepted blank input", s)
		}
	})
}
