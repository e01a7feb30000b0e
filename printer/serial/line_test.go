package serial

import (
	"testing"

	"go.bug.st/serial/enumerator"
)

func TestDCBFlags(t *testing.T) {
	tests := []struct {
		flow string
		want uint32
	}{
		{"none", dcbBinary | dcbDtrControlEnable | dcbRtsControlEnable},
		{"rtscts", dcbBinary | dcbDtrControlEnable | dcbOutxCtsFlow | dcbRtsHandshake},
		{"xonxoff", dcbBinary | dcbDtrControlEnable | dcbOutX | dcbInX | dcbRtsControlEnable},
	}
	for _, tt := range tests {
		s, err := lineSettings(9600, tt.flow)
		if err != nil {
			t.Fatal(err)
		}
		if got := dcbFlags(s); got != tt.want {
			t.Errorf("dcbFlags(%s) = %#x, want %#x", tt.flow, got, tt.want)
		}
	}
}

func TestCommTimeout(t *testing.T) {
	tests := []struct {
		ms   int64
		want uint32
	}{{-5, 1}, {0, 1}, {1, 1}, {1500, 1500}, {1 << 40, 0xFFFFFFFE}}
	for _, tt := range tests {
		if got := commTimeoutMS(tt.ms); got != tt.want {
			t.Errorf("commTimeoutMS(%d) = %d, want %d", tt.ms, got, tt.want)
		}
	}
}

func TestFound(t *testing.T) {
	tests := []struct {
		in        enumerator.PortDetails
		uri, name string
		detail    string
	}{
		{enumerator.PortDetails{Name: "/dev/ttyS0"}, "serial:///dev/ttyS0?baud=9600&flow=none", "serial port", ""},
		{enumerator.PortDetails{Name: "COM3", IsUSB: true, VID: "1A86", PID: "7523", Product: "USB-SERIAL CH340"},
			"serial://COM3?baud=9600&flow=none", "USB-SERIAL CH340", "usb 1a86:7523"},
		{enumerator.PortDetails{Name: "/dev/ttyUSB0", IsUSB: true, VID: "0403", PID: "6001", SerialNumber: "A10K"},
			"serial:///dev/ttyUSB0?baud=9600&flow=none", "USB serial adapter", "usb 0403:6001 serial A10K"},
	}
	for _, tt := range tests {
		f := found(&tt.in)
		if f.URI != tt.uri || f.Name != tt.name || f.Detail != tt.detail {
			t.Errorf("found(%+v) = %+v", tt.in, f)
		}
	}
}
