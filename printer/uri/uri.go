// Package uri parses the printer addresses written in the config file:
//
//	file:///abs/path/out.bin        file://relative/out.bin
//	tcp://10.0.0.9[:9100]           tcp://[fe80::1]:9100
//	serial:///dev/ttyUSB0?baud=9600&flow=rtscts
//	serial://COM3?baud=19200
//	usb://0416:5011[?serial=ABC]
//	spool://POS-80                  spool://POS 80 打印机
//
// Host, path and printer name may carry percent escapes (%20, %3F); a
// literal % must be written %25. Every error names the scheme and says
// exactly what is wrong.
package uri

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The schemes.
const (
	File   = "file"
	TCP    = "tcp"
	Serial = "serial"
	USB    = "usb"
	Spool  = "spool"
)

// Defaults filled in by Parse.
const (
	DefaultTCPPort = 9100
	DefaultBaud    = 9600
	DefaultFlow    = "none"
)

// Flow control modes of a serial link.
const (
	FlowNone    = "none"
	FlowRTSCTS  = "rtscts"
	FlowXONXOFF = "xonxoff"
)

// BaudRates lists the serial speeds a printer link may use.
var BaudRates = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600}

// URI is a parsed printer address.
type URI struct {
	Raw    string            // the text as written
	Scheme string            // file, tcp, serial, usb, spool
	Path   string            // file: path; serial: device path or COM3; spool: printer name
	Host   string            // tcp: host name or IP address (IPv6 without brackets)
	Port   int               // tcp: port, default 9100
	VID    uint16            // usb: vendor id
	PID    uint16            // usb: product id
	Serial string            // usb: ?serial=, empty when not given
	Baud   int               // serial: ?baud=, default 9600
	Flow   string            // serial: ?flow=none|rtscts|xonxoff, default none
	Params map[string]string // every query parameter as written; nil without a query
}

// allowed lists the query keys each scheme accepts.
var allowed = map[string][]string{
	File:   nil,
	TCP:    nil,
	Serial: {"baud", "flow"},
	USB:    {"serial"},
	Spool:  nil,
}

// Parse reads a printer URI. See the package documentation for the forms.
func Parse(s string) (URI, error) {
	u := URI{Raw: s}
	t := strings.TrimSpace(s)
	if t == "" {
		return URI{}, errors.New("empty printer uri")
	}
	scheme, rest, ok := strings.Cut(t, "://")
	if !ok {
		return URI{}, fmt.Errorf("%q has no scheme; write it like tcp://10.0.0.9:9100, usb://0416:5011 or spool://POS-80", s)
	}
	u.Scheme = strings.ToLower(scheme)
	known, ok := allowed[u.Scheme]
	if !ok {
		return URI{}, fmt.Errorf("unknown scheme %q; use file, tcp, serial, usb or spool", scheme)
	}
	body, query, hasQuery := strings.Cut(rest, "?")
	if hasQuery {
		params, err := parseQuery(u.Scheme, query, known)
		if err != nil {
			return URI{}, err
		}
		u.Params = params
	}
	body, err := unescape(u.Scheme, body)
	if err != nil {
		return URI{}, err
	}
	switch u.Scheme {
	case File:
		err = u.parseFile(body)
	case TCP:
		err = u.parseTCP(body)
	case Serial:
		err = u.parseSerial(body)
	case USB:
		err = u.parseUSB(body)
	case Spool:
		err = u.parseSpool(body)
	}
	if err != nil {
		return URI{}, err
	}
	return u, nil
}

// parseQuery splits a query, rejecting unknown and repeated keys.
func parseQuery(scheme, query string, known []string) (map[string]string, error) {
	params := make(map[string]string)
	if query == "" {
		return params, nil
	}
	for part := range strings.SplitSeq(query, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("%s: query key %q has a bad percent escape", scheme, k)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("%s: value of %q has a bad percent escape", scheme, key)
		}
		if !slices.Contains(known, key) {
			if len(known) == 0 {
				return nil, fmt.Errorf("%s: unknown query key %q; %s takes no query", scheme, key, scheme)
			}
			return nil, fmt.Errorf("%s: unknown query key %q; known: %s", scheme, key, strings.Join(known, ", "))
		}
		if _, dup := params[key]; dup {
			return nil, fmt.Errorf("%s: query key %q given twice", scheme, key)
		}
		if err := checkText(scheme, key, val); err != nil {
			return nil, err
		}
		params[key] = val
	}
	return params, nil
}

// unescape decodes percent escapes and rejects control characters.
func unescape(scheme, s string) (string, error) {
	if strings.Contains(s, "%") {
		d, err := url.PathUnescape(s)
		if err != nil {
			return "", fmt.Errorf("%s: %q has a bad percent escape (write a literal %% as %%25)", scheme, s)
		}
		s = d
	}
	if err := checkText(scheme, "address", s); err != nil {
		return "", err
	}
	return s, nil
}

func checkText(scheme, what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s: %s is not valid UTF-8", scheme, what)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return fmt.Errorf("%s: %s contains a control character", scheme, what)
	}
	return nil
}

func (u *URI) parseFile(body string) error {
	if body == "" {
		return errors.New("file: missing path; write file:///abs/path or file://relative/path")
	}
	// file:///C:/out.bin names a Windows drive path.
	if len(body) >= 4 && body[0] == '/' && isDriveLetter(body[1]) && body[2] == ':' && (body[3] == '/' || body[3] == '\\') {
		body = body[1:]
	}
	u.Path = body
	return nil
}

func isDriveLetter(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }

func (u *URI) parseTCP(body string) error {
	body = strings.TrimSuffix(body, "/")
	if body == "" {
		return errors.New("tcp: missing host; write tcp://HOST or tcp://HOST:PORT")
	}
	host, port := body, ""
	if strings.HasPrefix(body, "[") {
		end := strings.IndexByte(body, ']')
		if end < 0 {
			return fmt.Errorf("tcp: %q has no closing ] after the IPv6 address", body)
		}
		host = body[1:end]
		after := body[end+1:]
		switch {
		case after == "":
		case after[0] == ':':
			port = after[1:]
			if port == "" {
				return errors.New("tcp: empty port after ':'")
			}
		default:
			return fmt.Errorf("tcp: unexpected %q after the IPv6 address", after)
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.To4() != nil && !strings.Contains(host, ":") {
			return fmt.Errorf("tcp: %q is not an IPv6 address", host)
		}
	} else {
		if strings.Contains(body, "/") {
			return fmt.Errorf("tcp: %q has a path; write only HOST[:PORT]", body)
		}
		if i := strings.LastIndexByte(body, ':'); i >= 0 {
			host, port = body[:i], body[i+1:]
			if strings.Contains(host, ":") {
				return fmt.Errorf("tcp: write the IPv6 address in brackets, like tcp://[%s]:9100", body)
			}
			if port == "" {
				return errors.New("tcp: empty port after ':'")
			}
		}
		if host == "" {
			return errors.New("tcp: missing host; write tcp://HOST or tcp://HOST:PORT")
		}
		if err := checkHostname(host); err != nil {
			return err
		}
	}
	u.Host = host
	u.Port = DefaultTCPPort
	if port != "" {
		if strings.Trim(port, "0123456789") != "" {
			return fmt.Errorf("tcp: port %q is not a number", port)
		}
		n, err := strconv.Atoi(port)
		if err != nil {
			return fmt.Errorf("tcp: port %s out of range", port)
		}
		if n < 1 || n > 65535 {
			return fmt.Errorf("tcp: port %d out of range", n)
		}
		u.Port = n
	}
	return nil
}

// checkHostname accepts an IPv4 address or a DNS name.
func checkHostname(h string) error {
	if strings.Trim(h, "0123456789.") == "" {
		if net.ParseIP(h) == nil {
			return fmt.Errorf("tcp: %q is not a valid IPv4 address", h)
		}
		return nil
	}
	if len(h) > 253 {
		return errors.New("tcp: host name is longer than 253 characters")
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return fmt.Errorf("tcp: %q is not a valid host name or IP address", h)
		}
	}
	if strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return fmt.Errorf("tcp: %q is not a valid host name or IP address", h)
	}
	return nil
}

func (u *URI) parseSerial(body string) error {
	switch {
	case body == "":
		return errors.New("serial: missing device; write serial:///dev/ttyUSB0 or serial://COM3")
	case body[0] == '/', isCOM(body), strings.HasPrefix(body, `\\.\`) && isCOM(body[4:]):
	default:
		return fmt.Errorf("serial: device %q is neither an absolute path nor a COM port; write serial:///dev/ttyUSB0 or serial://COM3", body)
	}
	u.Path = body
	u.Baud = DefaultBaud
	u.Flow = DefaultFlow
	if v, ok := u.Params["baud"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("serial: baud %q is not a number", v)
		}
		if !slices.Contains(BaudRates, n) {
			return fmt.Errorf("serial: baud %d is not a standard rate (%s)", n, joinInts(BaudRates))
		}
		u.Baud = n
	}
	if v, ok := u.Params["flow"]; ok {
		switch strings.ToLower(v) {
		case FlowNone, FlowRTSCTS, FlowXONXOFF:
			u.Flow = strings.ToLower(v)
		default:
			return fmt.Errorf("serial: flow %q is not none, rtscts or xonxoff", v)
		}
	}
	return nil
}

// isCOM reports whether s is a Windows serial port name such as COM3.
func isCOM(s string) bool {
	if len(s) < 4 || !strings.EqualFold(s[:3], "COM") {
		return false
	}
	n, err := strconv.Atoi(s[3:])
	return err == nil && n >= 1 && n <= 255 && s[3] != '0' && s[3] != '+'
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

func (u *URI) parseUSB(body string) error {
	body = strings.TrimSuffix(body, "/")
	vid, pid, ok := strings.Cut(body, ":")
	if !ok {
		return fmt.Errorf("usb: %q is not VID:PID in hex, like usb://0416:5011", body)
	}
	v, err := hex16(vid)
	if err != nil {
		return fmt.Errorf("usb: %q is not a hex vendor id", vid)
	}
	p, err := hex16(pid)
	if err != nil {
		return fmt.Errorf("usb: %q is not a hex product id", pid)
	}
	u.VID, u.PID = v, p
	if s, ok := u.Params["serial"]; ok {
		if s == "" {
			return errors.New("usb: serial is empty; drop ?serial= or give the device's serial number")
		}
		u.Serial = s
	}
	return nil
}

// hex16 reads exactly four hex digits, as lsusb and Device Manager print them.
func hex16(s string) (uint16, error) {
	if len(s) != 4 {
		return 0, errors.New("want four hex digits")
	}
	n, err := strconv.ParseUint(s, 16, 16)
	if err != nil {
		return 0, err
	}
	return uint16(n), nil
}

func (u *URI) parseSpool(body string) error {
	if strings.TrimSpace(body) == "" {
		return errors.New("spool: missing printer name; write spool://NAME as Windows shows it")
	}
	u.Path = body
	return nil
}

// String returns the canonical form of u: lower-case scheme, defaults
// written out, query keys sorted. Parse(u.String()) gives u back (but Raw).
func (u URI) String() string {
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteString("://")
	q := url.Values{}
	switch u.Scheme {
	case File, Spool:
		b.WriteString(escape(u.Path))
	case Serial:
		b.WriteString(escape(u.Path))
		q.Set("baud", strconv.Itoa(u.Baud))
		q.Set("flow", u.Flow)
	case TCP:
		b.WriteString(net.JoinHostPort(u.Host, strconv.Itoa(u.Port)))
	case USB:
		fmt.Fprintf(&b, "%04x:%04x", u.VID, u.PID)
		if u.Serial != "" {
			q.Set("serial", u.Serial)
		}
	}
	if len(q) > 0 {
		b.WriteByte('?')
		b.WriteString(q.Encode())
	}
	return b.String()
}

// escape protects the characters Parse treats specially in a path: percent
// signs, question marks and white space at either end.
func escape(s string) string {
	s = strings.NewReplacer("%", "%25", "?", "%3F").Replace(s)
	core := strings.TrimSpace(s)
	if core == s {
		return s
	}
	start := strings.Index(s, core)
	if core == "" {
		start = len(s)
	}
	return pctRunes(s[:start]) + core + pctRunes(s[start+len(core):])
}

func pctRunes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}
