package config

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"

	"github.com/pelletier/go-toml/v2/unstable"
)

// index maps each key path of a TOML document (agent.data_dir, printer[1].uri,
// binding[0].printers[2]) to the line where it is first written. Tables get
// the line of their header, array elements the line of the element.
type index struct {
	lines    map[string]int
	newlines []int // offsets of every '\n' in the document
	counts   map[string]int
}

// buildIndex walks the document with go-toml's position-aware parser. It is
// only called on documents that already decoded without error.
func buildIndex(data []byte) *index {
	ix := &index{lines: make(map[string]int), counts: make(map[string]int)}
	for i, c := range data {
		if c == '\n' {
			ix.newlines = append(ix.newlines, i)
		}
	}
	var p unstable.Parser
	p.Reset(data)
	current := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			current = ix.header(e)
		case unstable.KeyValue:
			ix.keyValue(current, e)
		}
	}
	return ix
}

// line returns the line of the first of paths the document has, or 0.
func (ix *index) line(paths ...string) int {
	for _, p := range paths {
		if l, ok := ix.lines[p]; ok {
			return l
		}
	}
	return 0
}

func (ix *index) lineAt(offset uint32) int {
	return sort.SearchInts(ix.newlines, int(offset)) + 1
}

func (ix *index) record(path string, line int) {
	if _, ok := ix.lines[path]; !ok && line > 0 {
		ix.lines[path] = line
	}
}

// header resolves a [table] or [[array.table]] header to its path, counting
// the elements of arrays of tables so that [[printer]] gets printer[0],
// printer[1], and a dotted header refers to the last element of each array on
// its way.
func (ix *index) header(e *unstable.Node) string {
	var parts []string
	line := 0
	it := e.Key()
	for it.Next() {
		k := it.Node()
		if line == 0 {
			line = ix.lineAt(k.Raw.Offset)
		}
		parts = append(parts, string(k.Data))
	}
	path := ""
	for i, part := range parts {
		path = joinKey(path, part)
		last := i == len(parts)-1
		if last && e.Kind == unstable.ArrayTable {
			n := ix.counts[path]
			ix.counts[path] = n + 1
			ix.record(path, line)
			path = elem(path, n)
		} else if n, ok := ix.counts[path]; ok {
			ix.record(path, line)
			path = elem(path, n-1)
		}
		ix.record(path, line)
	}
	return path
}

func (ix *index) keyValue(base string, kv *unstable.Node) {
	path := base
	line := 0
	it := kv.Key()
	for it.Next() {
		k := it.Node()
		if line == 0 {
			line = ix.lineAt(k.Raw.Offset)
		}
		path = joinKey(path, string(k.Data))
		ix.record(path, line)
	}
	ix.value(path, kv.Value(), line)
}

func (ix *index) value(path string, v *unstable.Node, line int) {
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				ix.keyValue(path, c)
			}
		}
	case unstable.Array:
		i := 0
		it := v.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			l := line
			if c.Raw.Length > 0 {
				l = ix.lineAt(c.Raw.Offset)
			}
			ep := elem(path, i)
			ix.record(ep, l)
			ix.value(ep, c, l)
			i++
		}
	}
}

// joinKey appends a key to a path, quoting it when it is not a bare key.
func joinKey(path, key string) string {
	if !isBareKey(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func elem(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func isBareKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// lineText returns line n (1-based) of data without its line ending.
func quote(s string) string { return strconv.Quote(s) }

func lineText(data []byte, n int) []byte {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return nil
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return bytes.TrimSuffix(data, []byte("\r"))
}
