package escpos

import (
	"strings"
	"unicode/utf8"
)

// Width is the number of columns s takes on paper at normal size on the
// generic profiles: printable ASCII counts 1, every GB-encoded character 2
// (its byte count in Chinese mode, not its East Asian Width: é, · and — are
// 2 columns too), and every code page character and every character printed
// as Replacement 1. Profile.Width counts for one profile.
func Width(s string) int {
	cs := defaultCharset()
	return cs.width(s)
}

// Width is the number of columns s takes on paper of this profile.
func (p Profile) Width(s string) int {
	cs := p.charset()
	return cs.width(s)
}

// Truncate returns the longest prefix of s that fits in cols columns,
// never splitting a character.
func Truncate(s string, cols int) string {
	cs := defaultCharset()
	return cs.truncate(s, cols)
}

// Truncate is the package-level Truncate for this profile.
func (p Profile) Truncate(s string, cols int) string {
	cs := p.charset()
	return cs.truncate(s, cols)
}

func (cs *charset) truncate(s string, cols int) string {
	w := 0
	for i := 0; i < len(s); {
		r, size := decodeRune(s, i)
		rw := cs.runeWidth(r)
		if w+rw > cols {
			return s[:i]
		}
		w += rw
		i += size
	}
	return s
}

// Pad truncates s to cols columns and pads it with spaces to exactly cols
// columns, placing it left, centred or right. A wide character that would
// straddle the edge is left out and its column filled with a space.
func Pad(s string, cols int, a Align) string {
	cs := defaultCharset()
	return cs.pad(s, cols, a)
}

// Pad is the package-level Pad for this profile.
func (p Profile) Pad(s string, cols int, a Align) string {
	cs := p.charset()
	return cs.pad(s, cols, a)
}

func (cs *charset) pad(s string, cols int, a Align) string {
	if cols <= 0 {
		return ""
	}
	s = cs.truncate(s, cols)
	gap := cols - cs.width(s)
	if gap == 0 {
		return s
	}
	switch a {
	case Right:
		return strings.Repeat(" ", gap) + s
	case Center:
		l := gap / 2
		return strings.Repeat(" ", l) + s + strings.Repeat(" ", gap-l)
	default:
		return s + strings.Repeat(" ", gap)
	}
}

// PadRight is Pad(s, cols, Left): s left-aligned in exactly cols columns.
func PadRight(s string, cols int) string { return Pad(s, cols, Left) }

// PadLeft is Pad(s, cols, Right): s right-aligned in exactly cols columns.
func PadLeft(s string, cols int) string { return Pad(s, cols, Right) }

// isCloser reports closing punctuation, kept with the character before it so
// that a wrapped line never starts with one.
func isCloser(r rune) bool {
	switch r {
	case '，', '。', '、', '：', '；', '！', '？', '）', '】', '」', '』', '》', '〉', '”', '’', '％', '…':
		return true
	}
	return false
}

// isOpener reports opening punctuation, kept with the character after it so
// that a wrapped line never ends with one.
func isOpener(r rune) bool {
	switch r {
	case '（', '【', '「', '『', '《', '〈', '“', '‘':
		return true
	}
	return false
}

// Range is the byte range s[Start:End] of one line of wrapped text, and the
// line's width in columns.
type Range struct{ Start, End, Width int }

// Wrap breaks s into lines of at most cols columns, counted as on the
// generic profiles. Line feeds in s start a new line (a carriage return
// before one is dropped). Latin words break at spaces; the spaces at a break
// are dropped. Chinese text breaks between any two characters, except before
// closing punctuation and after opening punctuation. A word longer than a
// line is split between characters. A character is never split; only a wide
// character on a line of cols < 2 makes a line wider than cols. Wrap returns
// at least one line; cols < 1 counts as 1.
func Wrap(s string, cols int) []string {
	cs := defaultCharset()
	return cs.wrapStrings(s, cols)
}

// Wrap is the package-level Wrap for this profile.
func (p Profile) Wrap(s string, cols int) []string {
	cs := p.charset()
	return cs.wrapStrings(s, cols)
}

// AppendWrap appends to dst the byte ranges of s that Wrap would return as
// lines, without allocating when dst has room.
func (p Profile) AppendWrap(dst []Range, s string, cols int) []Range {
	cs := p.charset()
	return cs.appendWrap(dst, s, cols)
}

func (cs *charset) wrapStrings(s string, cols int) []string {
	var buf [16]Range
	rs := cs.appendWrap(buf[:0], s, cols)
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = s[r.Start:r.End]
	}
	return out
}

func (cs *charset) appendWrap(dst []Range, s string, cols int) []Range {
	if cols < 1 {
		cols = 1
	}
	start := 0
	for {
		nl := strings.IndexByte(s[start:], '\n')
		end := len(s)
		if nl >= 0 {
			end = start + nl
		}
		pend := end
		if pend > start && s[pend-1] == '\r' {
			pend--
		}
		dst = cs.wrapParagraph(dst, s, start, pend, cols)
		if nl < 0 {
			return dst
		}
		start = end + 1
	}
}

// wrapParagraph wraps s[from:to], which holds no line feed.
func (cs *charset) wrapParagraph(dst []Range, s string, from, to, cols int) []Range {
	// A paragraph that fits is one line, less its trailing spaces.
	end := to
	for end > from && s[end-1] == ' ' {
		end--
	}
	if w := cs.width(s[from:end]); w <= cols {
		return append(dst, Range{from, end, w})
	}
	lineStart, lineEnd, w := from, from, 0
	has := false // the line holds a unit
	for i := from; i < to; {
		sp := i
		for i < to && s[i] == ' ' {
			i++
		}
		if i == to {
			break // trailing spaces are dropped
		}
		spw := i - sp
		end, uw := cs.unit(s, i, to)
		switch {
		case w+spw+uw <= cols:
			// Fits on this line with the spaces before it (at the start of a
			// paragraph they are its indent).
			if !has {
				lineStart = sp
			}
			lineEnd, w, has = end, w+spw+uw, true
		case uw <= cols:
			// Fits on a line of its own: the spaces at the break go.
			if has {
				dst = append(dst, Range{lineStart, lineEnd, w})
			}
			lineStart, lineEnd, w, has = i, end, uw, true
		default:
			// Longer than a line: start it on a fresh line and split it
			// between characters, keeping invalid UTF-8 bytes as they are.
			if has {
				dst = append(dst, Range{lineStart, lineEnd, w})
			}
			lineStart, w = i, 0
			for j := i; j < end; {
				r, size := decodeRune(s, j)
				rw := cs.runeWidth(r)
				if w > 0 && w+rw > cols {
					dst = append(dst, Range{lineStart, j, w})
					lineStart, w = j, 0
				}
				w += rw
				j += size
			}
			lineEnd, has = end, true
		}
		i = end
	}
	return append(dst, Range{lineStart, lineEnd, w})
}

// decodeRune is utf8.DecodeRuneInString(s[i:]) with a fast path for the
// three-byte sequences of Chinese text.
func decodeRune(s string, i int) (rune, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	if c >= 0xe0 && c < 0xf0 && i+2 < len(s) {
		c1, c2 := s[i+1], s[i+2]
		if c1&0xc0 == 0x80 && c2&0xc0 == 0x80 {
			r := rune(c&0x0f)<<12 | rune(c1&0x3f)<<6 | rune(c2&0x3f)
			if r >= 0x800 && (r < 0xd800 || r > 0xdfff) {
				return r, 3
			}
		}
	}
	return utf8.DecodeRuneInString(s[i:])
}

// unit returns the end and width of the unbreakable unit starting at s[i]
// (not a space): a Latin word or one wide character, with the closing marks
// after it, joined with what follows when it ends with an opening mark.
func (cs *charset) unit(s string, i, to int) (end, width int) {
	end, width, last := cs.core(s, i, to)
	for end < to && s[end] != ' ' && isOpener(last) && cs.runeWidth(last) == 2 {
		var w int
		end, w, last = cs.core(s, end, to)
		width += w
	}
	return end, width
}

// core returns a Latin word or one wide character starting at s[i], with the
// closing marks right after it, and its last character.
func (cs *charset) core(s string, i, to int) (end, width int, last rune) {
	r, size := decodeRune(s[:to], i)
	end, last = i+size, r
	if width = cs.runeWidth(r); width == 1 {
		for end < to {
			r, size = decodeRune(s[:to], end)
			if r == ' ' || cs.runeWidth(r) != 1 {
				break
			}
			end += size
			width++
			last = r
		}
	}
	for end < to && s[end] >= utf8.RuneSelf {
		r, size = decodeRune(s[:to], end)
		if !isCloser(r) || cs.runeWidth(r) != 2 {
			break
		}
		end += size
		width += 2
		last = r
	}
	return end, width, last
}

// Col is one column of a table row: its width in columns (0 or less: share
// the width the fixed columns leave) and the alignment of its text.
type Col struct {
	Width int
	Align Align
}

// Columns lays out one table row on a line of cols columns, counted as on
// the generic profiles. Adjacent columns are separated by one space. Each
// cell is wrapped inside its own column, so a long item name wraps within
// the name column while the other cells stay on the row's first line. When
// the fixed widths do not fit, the widest columns are narrowed. Cells beyond
// the last column are joined to the last cell with a space. Every returned
// line is at most cols columns wide and has no trailing spaces.
func Columns(cols int, specs []Col, cells []string) []string {
	cs := defaultCharset()
	return cs.columns(cols, specs, cells)
}

// Columns is the package-level Columns for this profile.
func (p Profile) Columns(cols int, specs []Col, cells []string) []string {
	cs := p.charset()
	return cs.columns(cols, specs, cells)
}

func (cs *charset) columns(cols int, specs []Col, cells []string) []string {
	if cols < 1 {
		cols = 1
	}
	if len(specs) == 0 {
		specs = []Col{{}}
	}
	specs = specs[:min(len(specs), maxRowCols)]
	n := len(specs)
	row := make([]string, n)
	copy(row, cells)
	if len(cells) > n {
		row[n-1] = strings.Join(cells[n-1:], " ")
	}
	var l rowLayout
	l.layout(cs, cols, specs, row)
	out := make([]string, 0, l.rows)
	var b strings.Builder
	var segs rowSegs
	for r := range l.rows {
		b.Reset()
		for _, s := range segs[:l.line(cs, cols, r, specs, row, &segs)] {
			if s.cell >= 0 {
				b.WriteString(s.text(row))
			} else {
				for range s.n {
					b.WriteByte(' ')
				}
			}
		}
		out = append(out, b.String())
	}
	return out
}

// maxRowCols is the most columns a table row has; Columns joins the cells
// of further columns to the last one.
const maxRowCols = 16

// rowSegs holds the pieces of one line of a row.
type rowSegs [4 * maxRowCols]rowSeg

// rowLayout is one table row wrapped into its columns.
type rowLayout struct {
	widths []int
	first  []int   // index in ranges of each cell's first line
	count  []int   // lines of each cell
	ranges []Range // the cells' lines
	rows   int
	wbuf   [maxRowCols]int
	fbuf   [maxRowCols]int
	cbuf   [maxRowCols]int
}

func (l *rowLayout) layout(cs *charset, cols int, specs []Col, cells []string) {
	n := len(specs)
	l.widths, l.first, l.count = l.wbuf[:n], l.fbuf[:n], l.cbuf[:n]
	columnWidths(cols, specs, l.widths)
	l.ranges = l.ranges[:0]
	l.rows = 1
	for i := range n {
		cell := ""
		if i < len(cells) {
			cell = cells[i]
		}
		l.first[i] = len(l.ranges)
		l.ranges = cs.appendWrap(l.ranges, cell, l.widths[i])
		l.count[i] = len(l.ranges) - l.first[i]
		l.rows = max(l.rows, l.count[i])
	}
}

// rowSeg is a piece of a row's line: the text cells[cell][start:end], or
// n spaces when cell is -1.
type rowSeg struct {
	cell       int
	start, end int
	n          int // spaces, or the text's width
}

// text is the piece's text.
func (s rowSeg) text(cells []string) string { return cells[s.cell][s.start:s.end] }

// line puts in segs line r of the row and returns how many pieces it has:
// columns separated by one space, each piece padded to its column, cut at
// cols columns, without trailing spaces and without empty pieces. The row
// has at most maxRowCols columns.
func (l *rowLayout) line(cs *charset, cols, r int, specs []Col, cells []string, segs *rowSegs) int {
	n := 0
	put := func(s rowSeg) {
		segs[n] = s
		n++
	}
	for i := range l.widths {
		seg := rowSeg{cell: i}
		if r < l.count[i] {
			rg := l.ranges[l.first[i]+r]
			seg.start, seg.end, seg.n = rg.Start, rg.End, rg.Width
		}
		if seg.n > l.widths[i] {
			t := cs.truncate(seg.text(cells), l.widths[i])
			seg.end, seg.n = seg.start+len(t), cs.width(t)
		}
		gap := l.widths[i] - seg.n
		left := 0
		switch specs[i].Align {
		case Right:
			left = gap
		case Center:
			left = gap / 2
		}
		if i > 0 {
			put(rowSeg{cell: -1, n: 1})
		}
		put(rowSeg{cell: -1, n: left})
		put(seg)
		put(rowSeg{cell: -1, n: gap - left})
	}
	// Cut at cols columns.
	used := 0
	for i := range n {
		s := &segs[i]
		room := cols - used
		if s.cell >= 0 && s.n > room {
			t := cs.truncate(s.text(cells), room)
			s.end, s.n = s.start+len(t), cs.width(t)
		} else if s.cell < 0 {
			s.n = min(s.n, room)
		}
		used += s.n
	}
	// Leave out the trailing spaces.
	last := n - 1
	for last >= 0 && (segs[last].cell < 0 || segs[last].start == segs[last].end) {
		last--
	}
	if last >= 0 {
		s := &segs[last]
		s.end = s.start + len(strings.TrimRight(s.text(cells), " "))
	}
	out := 0
	for i := range last + 1 {
		if s := segs[i]; (s.cell >= 0 && s.end > s.start) || (s.cell < 0 && s.n > 0) {
			segs[out] = s
			out++
		}
	}
	return out
}

// columnWidths resolves the widths of specs on a line of cols columns into
// widths, which has len(specs) elements.
func columnWidths(cols int, specs []Col, widths []int) {
	n := len(specs)
	avail := cols - (n - 1)
	fixed, flex := 0, 0
	for i, c := range specs {
		if c.Width > 0 {
			widths[i] = c.Width
			fixed += c.Width
		} else {
			widths[i] = 0
			flex++
		}
	}
	if flex > 0 {
		rest := max(avail-fixed, 2*flex)
		first := true
		for i, c := range specs {
			if c.Width > 0 {
				continue
			}
			widths[i] = rest / flex
			if first {
				widths[i] += rest % flex
				first = false
			}
		}
	}
	total := 0
	for _, w := range widths {
		total += w
	}
	// Narrow the widest column, keeping two columns (one Chinese character)
	// as long as possible, then one.
	for _, floor := range []int{2, 1} {
		for total > avail {
			widest := 0
			for i, w := range widths {
				if w > widths[widest] {
					widest = i
				}
			}
			if widths[widest] <= floor {
				break
			}
			widths[widest]--
			total--
		}
	}
}
