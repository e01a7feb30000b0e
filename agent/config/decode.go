package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
)

// decoder turns the generic TOML tree into typed values, collecting every
// problem with its line instead of stopping at the first.
type decoder struct {
	file      string
	dir       string // directory of file, for file: secrets and a relative data_dir
	ix        *index
	lookupEnv func(string) (string, bool)
	errs      Errors
}

func (d *decoder) add(line int, field, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// table is one TOML table being read, with the keys it accepts.
type table struct {
	d     *decoder
	path  string
	m     map[string]any
	known []string
}

func (d *decoder) table(path string, m map[string]any, known []string) *table {
	t := &table{d: d, path: path, m: m, known: known}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if slices.Contains(known, k) {
			continue
		}
		p := joinKey(path, k)
		if s := suggest(k, known); s != "" {
			d.add(d.ix.line(p, path), p, "unknown key (did you mean %q?)", s)
		} else {
			d.add(d.ix.line(p, path), p, "unknown key; known keys are %s", strings.Join(known, ", "))
		}
	}
	return t
}

// field returns the path of key in t.
func (t *table) field(key string) string { return joinKey(t.path, key) }

// line returns the line of key, or of the table when key is not written.
func (t *table) line(key string) int { return t.d.ix.line(t.field(key), t.path) }

func (t *table) errorf(key, format string, args ...any) {
	t.d.add(t.line(key), t.field(key), format, args...)
}

func (t *table) has(key string) bool {
	_, ok := t.m[key]
	return ok
}

// missing reports a required key that is not written.
func (t *table) missing(key string) {
	t.errorf(key, "required key is missing")
}

func (t *table) wrongType(key, want string, v any) {
	t.errorf(key, "must be %s, not %s", want, typeName(v))
}

// str reads a string key. ok is false when the key is absent or has the
// wrong type (which is reported).
func (t *table) str(key string) (string, bool) {
	v, present := t.m[key]
	if !present {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		t.wrongType(key, "a string", v)
		return "", false
	}
	return s, true
}

// nonEmpty reads a string key that must not be empty when written.
func (t *table) nonEmpty(key string) (string, bool) {
	s, ok := t.str(key)
	if ok && strings.TrimSpace(s) == "" {
		t.errorf(key, "must not be empty")
		return "", false
	}
	return s, ok
}

// required reads a non-empty string key that must be written.
func (t *table) required(key string) (string, bool) {
	if !t.has(key) {
		t.missing(key)
		return "", false
	}
	return t.nonEmpty(key)
}

// id reads an identifier written either as a string or as an integer
// (id = "43435545" or id = 43435545).
func (t *table) id(key string) (string, bool) {
	v, present := t.m[key]
	if !present {
		return "", false
	}
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			t.errorf(key, "must not be empty")
			return "", false
		}
		if strings.TrimSpace(x) != x {
			t.errorf(key, "%q has spaces around it", x)
			return "", false
		}
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	t.wrongType(key, "a string or an integer", v)
	return "", false
}

// integer reads an integer key.
func (t *table) integer(key string) (int64, bool) {
	v, present := t.m[key]
	if !present {
		return 0, false
	}
	n, isInt := v.(int64)
	if !isInt {
		t.wrongType(key, "an integer", v)
		return 0, false
	}
	return n, true
}

// duration reads a duration written as a string ("30s", "2m", "1h30m").
func (t *table) duration(key string) (time.Duration, bool) {
	v, present := t.m[key]
	if !present {
		return 0, false
	}
	s, isStr := v.(string)
	if !isStr {
		t.errorf(key, "must be a duration string like \"30s\" or \"2m\", not %s", typeName(v))
		return 0, false
	}
	dur, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		t.errorf(key, "%q is not a duration like \"30s\" or \"2m\"", s)
		return 0, false
	}
	return dur, true
}

// stringList reads an array of strings. Each element of the wrong type is
// reported at its own path, and then ok is false.
func (t *table) stringList(key string) ([]string, bool) {
	v, present := t.m[key]
	if !present {
		return nil, false
	}
	arr, isArr := v.([]any)
	if !isArr {
		t.errorf(key, "must be an array of strings like [\"front\"], not %s", typeName(v))
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, isStr := e.(string)
		if !isStr {
			p := elem(t.field(key), i)
			t.d.add(t.d.ix.line(p, t.field(key), t.path), p, "must be a string, not %s", typeName(e))
			continue
		}
		out = append(out, s)
	}
	return out, len(out) == len(arr)
}

// enum reads a string key that must be one of choices (compared without
// regard to case) and returns it in lower case, or def when absent.
func (t *table) enum(key, def string, choices ...string) string {
	s, ok := t.str(key)
	if !ok {
		return def
	}
	l := strings.ToLower(strings.TrimSpace(s))
	if slices.Contains(choices, l) {
		return l
	}
	t.errorf(key, "%q is not one of %s", s, strings.Join(choices, ", "))
	return def
}

// tables reads an array of tables ([[store]]) at key of the root, calling fn
// for each element that is a table.
func (t *table) tables(key string, known []string, fn func(i int, e *table)) {
	v, present := t.m[key]
	if !present {
		return
	}
	var arr []any
	switch x := v.(type) {
	case []any:
		arr = x
	case []map[string]any:
		for _, m := range x {
			arr = append(arr, m)
		}
	default:
		t.errorf(key, "must be an array of tables written [[%s]], not %s", key, typeName(v))
		return
	}
	for i, e := range arr {
		p := elem(t.field(key), i)
		m, ok := e.(map[string]any)
		if !ok {
			t.d.add(t.d.ix.line(p, t.field(key)), p, "must be a table, not %s", typeName(e))
			continue
		}
		fn(i, t.d.table(p, m, known))
	}
}

// sub reads a table at key; nil when absent or not a table (reported).
func (t *table) sub(key string, known []string) *table {
	v, present := t.m[key]
	if !present {
		return t.d.table(t.field(key), nil, known)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.errorf(key, "must be a table written [%s], not %s", key, typeName(v))
		return t.d.table(t.field(key), nil, known)
	}
	return t.d.table(t.field(key), m, known)
}

// typeName names the TOML type of a decoded value, with its article.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time, toml.LocalDateTime:
		return "a date-time"
	case toml.LocalDate:
		return "a date"
	case toml.LocalTime:
		return "a time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

// suggest returns the known key closest to k when it is close enough to be a
// likely typo, or "".
func suggest(k string, known []string) string {
	best, bestD := "", math.MaxInt
	lk := strings.ToLower(k)
	for _, c := range known {
		d := editDistance(lk, c)
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 1
	if len(best) > 4 {
		limit = 2
	}
	if bestD <= limit && 2*bestD < utf8.RuneCountInString(best) {
		return best
	}
	// A plural or singular slip: [[stores]] for [[store]].
	for _, c := range known {
		if lk == c+"s" || lk+"s" == c {
			return c
		}
	}
	return ""
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each count one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return math.MaxInt
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
