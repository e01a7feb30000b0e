package serial

import (
	"fmt"
	"slices"

	"storeedge/printer/uri"
)

// settings is what a port is opened with: 8 data bits, no parity, one stop
// bit, and the baud rate and flow control of the URI.
type settings struct {
	baud   int
	rtscts bool // hardware flow control: the printer holds CTS low when busy
	xonoff bool // software flow control: the printer sends XOFF (0x13) / XON (0x11)
}

// lineSettings checks a baud rate and flow control mode.
func lineSettings(baud int, flow string) (settings, error) {
	if !slices.Contains(uri.BaudRates, baud) {
		return settings{}, fmt.Errorf("baud %d is not a standard rate", baud)
	}
	s := settings{baud: baud}
	switch flow {
	case uri.FlowNone, "":
	case uri.FlowRTSCTS:
		s.rtscts = true
	case uri.FlowXONXOFF:
		s.xonoff = true
	default:
		return settings{}, fmt.Errorf("flow %q is not none, rtscts or xonxoff", flow)
	}
	return s, nil
}

// Windows DCB flag bits (winbase.h), kept here so that the flags can be
// checked on every platform.
const (
	dcbBinary           = 0x00000001
	dcbOutxCtsFlow      = 0x00000004
	dcbDtrControlEnable = 0x00000010
	dcbOutX             = 0x00000100
	dcbInX              = 0x00000200
	dcbRtsControlEnable = 0x00001000
	dcbRtsHandshake     = 0x00002000
)

// dcbFlags are the DCB flags for s: binary mode, DTR on, and either RTS on
// (no flow control, or XON/XOFF) or RTS handshake with CTS output flow.
func dcbFlags(s settings) uint32 {
	f := uint32(dcbBinary | dcbDtrControlEnable)
	switch {
	case s.rtscts:
		f |= dcbOutxCtsFlow | dcbRtsHandshake
	case s.xonoff:
		f |= dcbOutX | dcbInX | dcbRtsControlEnable
	default:
		f |= dcbRtsControlEnable
	}
	return f
}

// commTimeoutMS turns a remaining time into the millisecond count of a Windows
// COMMTIMEOUTS total timeout: at least 1 (0 would mean "no timeout" for
// writes) and below MAXDWORD.
func commTimeoutMS(ms int64) uint32 {
	switch {
	case ms < 1:
		return 1
	case ms > 0xFFFFFFFE:
		return 0xFFFFFFFE
	}
	return uint32(ms)
}
