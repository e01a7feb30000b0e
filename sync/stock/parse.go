package stock

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Columns names where a file or a query row holds each field: CSV header
// names, JSON member names or SQL column names. Matching ignores case and
// surrounding spaces.
type Columns struct {
	SKU   string // default "sku"
	Store string // default "store"; when absent from the data, every row is the mapping's Store
	Stock string // default "stock"
	Price string // default "price"
}

// Mapping tells how to read values from a source.
type Mapping struct {
	Columns
	Store    string // the store of rows without a store column
	Encoding string // files: "utf-8" (default), "gb18030" (GBK files), "auto" (UTF-8 unless invalid)
}

func (m Mapping) withDefaults() Mapping {
	def := func(s *string, v string) {
		if strings.TrimSpace(*s) == "" {
			*s = v
		}
	}
	def(&m.SKU, "sku")
	def(&m.Columns.Store, "store")
	def(&m.Stock, "stock")
	def(&m.Price, "price")
	return m
}

// RowError is a row that could not be read. The rest of its file counts.
type RowError struct {
	File   string
	Line   int // 1-based line of the row in the file (or the row number of a query)
	Reason string
}

func (e *RowError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

// MaxFileSize is the largest file a source reads.
const MaxFileSize = 64 << 20

// decodeText turns file bytes into UTF-8 text per the mapping's encoding.
func decodeText(name string, data []byte, enc string) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	switch strings.ToLower(enc) {
	case "", "utf-8", "utf8":
		if !utf8.Valid(data) {
			return nil, &RowError{File: name, Line: firstBadLine(data), Reason: "not valid UTF-8 (set encoding = \"gb18030\" for GBK files)"}
		}
		return data, nil
	case "auto":
		if utf8.Valid(data) {
			return data, nil
		}
		fallthrough
	case "gb18030", "gbk", "gb2312":
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, &RowError{File: name, Reason: fmt.Sprintf("not valid GB18030: %v", err)}
		}
		return out, nil
	}
	return nil, &RowError{File: name, Reason: fmt.Sprintf("unknown encoding %q (utf-8, gb18030 or auto)", enc)}
}

func firstBadLine(b []byte) int {
	line := 1
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		b = b[n:]
	}
	return 0
}

// rowReader turns one row's named fields into values.
type rowReader struct {
	m        Mapping
	file     string
	at       time.Time
	hasStore bool
}

func (rr *rowReader) values(line int, get func(col string) (string, bool)) ([]Value, *RowError) {
	bad := func(format string, a ...any) *RowError {
		return &RowError{File: rr.file, Line: line, Reason: fmt.Sprintf(format, a...)}
	}
	sku, _ := get(rr.m.SKU)
	sku = strings.TrimSpace(sku)
	if sku == "" {
		return nil, bad("%s is empty", rr.m.SKU)
	}
	store := rr.m.Store
	if s, ok := get(rr.m.Columns.Store); ok && strings.TrimSpace(s) != "" {
		store = strings.TrimSpace(s)
	}
	if store == "" {
		return nil, bad("sku %s: no %s column and no default store", sku, rr.m.Columns.Store)
	}
	var out []Value
	for _, f := range []struct {
		col  string
		kind Kind
	}{{rr.m.Stock, KindStock}, {rr.m.Price, KindPrice}} {
		s, ok := get(f.col)
		if !ok || strings.TrimSpace(s) == "" {
			continue
		}
		n, err := parseNum(s)
		if err != nil {
			return nil, bad("sku %s: %s: %v", sku, f.col, err)
		}
		v := Value{Store: store, SKU: sku, Kind: f.kind, Num: n, At: rr.at}
		if err := v.Check(); err != nil {
			return nil, bad("%v", err)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, bad("sku %s: neither %s nor %s has a value", sku, rr.m.Stock, rr.m.Price)
	}
	return out, nil
}

// ParseCSV reads a CSV file with a header row. A row that cannot be read
// is a RowError; the other rows still count. The error is for the file as
// a whole (no header, no sku column, unreadable).
func ParseCSV(name string, data []byte, m Mapping, at time.Time) ([]Value, []*RowError, error) {
	m = m.withDefaults()
	text, err := decodeText(name, data, m.Encoding)
	if err != nil {
		return nil, nil, err
	}
	r := csv.NewReader(bytes.NewReader(text))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	comma := detectComma(text)
	r.Comma = comma
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, &RowError{File: name, Reason: "empty file: want a header row"}
		}
		return nil, nil, &RowError{File: name, Line: 1, Reason: fmt.Sprintf("header: %v", err)}
	}
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.ToLower(strings.TrimSpace(h))] = i
	}
	find := func(c string) (int, bool) { i, ok := cols[strings.ToLower(strings.TrimSpace(c))]; return i, ok }
	if _, ok := find(m.SKU); !ok {
		return nil, nil, &RowError{File: name, Line: 1, Reason: fmt.Sprintf("header has no %q column (columns: %s)", m.SKU, strings.Join(header, ", "))}
	}
	_, hasStock := find(m.Stock)
	_, hasPrice := find(m.Price)
	if !hasStock && !hasPrice {
		return nil, nil, &RowError{File: name, Line: 1, Reason: fmt.Sprintf("header has neither a %q nor a %q column", m.Stock, m.Price)}
	}
	_, hasStore := find(m.Columns.Store)
	if !hasStore && m.Store == "" {
		return nil, nil, &RowError{File: name, Line: 1, Reason: fmt.Sprintf("header has no %q column and no default store is configured", m.Columns.Store)}
	}
	rr := &rowReader{m: m, file: name, at: at, hasStore: hasStore}
	var (
		vals []Value
		errs []*RowError
	)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				errs = append(errs, &RowError{File: name, Line: pe.StartLine, Reason: pe.Err.Error()})
				if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
					continue
				}
			}
			return vals, errs, &RowError{File: name, Reason: err.Error()}
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		v, rerr := rr.values(line, func(c string) (string, bool) {
			i, ok := find(c)
			if !ok || i >= len(rec) {
				return "", false
			}
			return rec[i], true
		})
		if rerr != nil {
			errs = append(errs, rerr)
			continue
		}
		vals = append(vals, v...)
	}
	return vals, errs, nil
}

// detectComma picks the separator of the header line: a comma, a
// semicolon or a tab, whichever appears most.
func detectComma(text []byte) rune {
	line, _, _ := bytes.Cut(text, []byte("\n"))
	best, n := ',', bytes.Count(line, []byte(","))
	for _, c := range []rune{';', '\t'} {
		if k := bytes.Count(line, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}

// ParseJSON reads a JSON file: an array of objects, or an object whose
// "items" member is one. Members are matched as CSV columns are; numbers
// may be JSON numbers or strings. A bad element is a RowError with its line.
func ParseJSON(name string, data []byte, m Mapping, at time.Time) ([]Value, []*RowError, error) {
	m = m.withDefaults()
	text, err := decodeText(name, data, m.Encoding)
	if err != nil {
		return nil, nil, err
	}
	lineAt := func(off int64) int { return 1 + bytes.Count(text[:min(int(off), len(text))], []byte("\n")) }
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	syntax := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return &RowError{File: name, Line: lineAt(se.Offset), Reason: "JSON syntax: " + se.Error()}
		}
		return &RowError{File: name, Line: lineAt(dec.InputOffset()), Reason: "JSON: " + err.Error()}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, syntax(err)
	}
	if tok == json.Delim('{') {
		found := false
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, nil, syntax(err)
			}
			if k == "items" {
				found = true
				break
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, nil, syntax(err)
			}
		}
		if !found {
			return nil, nil, &RowError{File: name, Line: 1, Reason: `want an array of objects or an object with an "items" array`}
		}
		if tok, err = dec.Token(); err != nil {
			return nil, nil, syntax(err)
		}
	}
	if tok != json.Delim('[') {
		return nil, nil, &RowError{File: name, Line: lineAt(dec.InputOffset()), Reason: `want an array of objects or an object with an "items" array`}
	}
	rr := &rowReader{m: m, file: name, at: at}
	var (
		vals []Value
		errs []*RowError
	)
	for i := 0; dec.More(); i++ {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return vals, errs, syntax(err)
		}
		// The element starts after any whitespace and comma.
		off := start + int64(len(text[start:])-len(bytes.TrimLeft(text[start:], " \t\r\n,")))
		line := lineAt(off)
		var obj map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&obj); err != nil || obj == nil {
			errs = append(errs, &RowError{File: name, Line: line, Reason: fmt.Sprintf("element %d is not an object", i)})
			continue
		}
		lower := make(map[string]any, len(obj))
		for k, v := range obj {
			lower[strings.ToLower(strings.TrimSpace(k))] = v
		}
		v, rerr := rr.values(line, func(c string) (string, bool) {
			x, ok := lower[strings.ToLower(strings.TrimSpace(c))]
			switch x := x.(type) {
			case string:
				return x, ok
			case json.Number:
				return x.String(), ok
			case nil:
				return "", false
			default:
				return fmt.Sprintf("%v", x), ok
			}
		})
		if rerr != nil {
			errs = append(errs, rerr)
			continue
		}
		vals = append(vals, v...)
	}
	if _, err := dec.Token(); err != nil {
		return vals, errs, syntax(err)
	}
	return vals, errs, nil
}
