package escpos

import (
	"strings"
	"unicode/utf8"
)

// Width is the number of columns s takes on paper at normal size: printable
// ASCII counts 1, every GB-encoded character 2 (its byte count in Chinese
// mode, not its East Asian Width: é, · and — are 2 columns too), and every
// character printed as Replacement 1.
func Width(s string) int {
	w := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			w++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		w += RuneWidth(r)
		i += size
	}
	return w
}

// Truncate returns the longest prefix of s that fits in cols columns,
// never splitting a character.
func Truncate(s string, cols int) string {
	w := 0
	for i, r := range s {
		rw := RuneWidth(r)
		if w+rw > cols {
			return s[:i]
		}
		w += rw
	}
	return s
}

// Pad truncates s to cols columns and pads it with spaces to exactly cols
// columns, placing it left, centred or right. A wide character that would
// straddle the edge is left out and its column filled with a space.
func Pad(s string, cols int, a Align) string {
	if cols <= 0 {
		return ""
	}
	s = Truncate(s, cols)
	gap := cols - Width(s)
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

// noLineStart are closing punctuation marks kept with the character before
// them, so a wrapped line never starts with one; noLineEnd are opening marks
// kept with the character after them.
const (
	noLineStart = "，。、：；！？）】」』》〉”’％…"
	noLineEnd   = "（【「『《〈“‘"
)

type tokenKind int8

const (
	tokSpace tokenKind = iota
	tokWord            // a run of narrow non-space characters: a Latin word
	tokWide            // one wide character and the closing marks after it
)

type token struct {
	kind  tokenKind
	off   int // byte offset of s in the paragraph
	s     string
	width int
}

// tokenize splits one paragraph into spaces, Latin words and wide characters.
func tokenize(p string, dst []token) []token {
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		start := i
		switch {
		case r == ' ':
			for i < len(p) && p[i] == ' ' {
				i++
			}
			dst = append(dst, token{tokSpace, start, p[start:i], i - start})
		case RuneWidth(r) == 1:
			w := 0
			for i < len(p) {
				r, size = utf8.DecodeRuneInString(p[i:])
				if r == ' ' || RuneWidth(r) != 1 {
					break
				}
				i += size
				w++
			}
			dst = append(dst, token{tokWord, start, p[start:i], w})
		default:
			i += size
			w := 2
			for i < len(p) {
				r, size = utf8.DecodeRuneInString(p[i:])
				if RuneWidth(r) != 2 || !strings.ContainsRune(noLineStart, r) {
					break
				}
				i += size
				w += 2
			}
			if r0, _ := utf8.DecodeRuneInString(p[start:]); strings.ContainsRune(noLineStart, r0) &&
				len(dst) > 0 && dst[len(dst)-1].kind != tokSpace {
				// Closing punctuation stays with whatever precedes it.
				last := &dst[len(dst)-1]
				last.s = p[last.off:i]
				last.width += w
				continue
			}
			dst = append(dst, token{tokWide, start, p[start:i], w})
		}
	}
	// Opening marks stay with whatever follows them.
	out := dst[:0]
	for i := 0; i < len(dst); i++ {
		t := dst[i]
		for i+1 < len(dst) && dst[i+1].kind != tokSpace && endsWithAny(t.s, noLineEnd) {
			next := dst[i+1]
			t = token{kind: tokWide, off: t.off, s: p[t.off : next.off+len(next.s)], width: t.width + next.width}
			i++
		}
		out = append(out, t)
	}
	return out
}

func endsWithAny(s, set string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r != utf8.RuneError && strings.ContainsRune(set, r)
}

// Wrap breaks s into lines of at most cols columns. Line feeds in s start a
// new line (a carriage return before one is dropped). Latin words break at
// spaces; the spaces at a break are dropped. Chinese text breaks between any
// two characters, except before closing punctuation. A word longer than a
// line is split between characters. A character is never split; only a wide
// character on a line of cols < 2 makes a line wider than cols. Wrap returns
// at least one line; cols < 1 counts as 1.
func Wrap(s string, cols int) []string {
	if cols < 1 {
		cols = 1
	}
	var lines []string
	var toks []token
	for para := range strings.SplitSeq(s, "\n") {
		para = strings.TrimSuffix(para, "\r")
		toks = tokenize(para, toks[:0])
		lines = wrapTokens(toks, cols, lines)
	}
	return lines
}

func wrapTokens(toks []token, cols int, lines []string) []string {
	var b strings.Builder
	w := 0
	flush := func() {
		lines = append(lines, b.String())
		b.Reset()
		w = 0
	}
	var pending token // spaces waiting for the word after them
	for _, t := range toks {
		if t.kind == tokSpace {
			pending = t
			continue
		}
		sp := pending
		pending = token{}
		switch {
		case w+sp.width+t.width <= cols:
			// Fits on this line, with the spaces before it (at the start of
			// a paragraph these are its indent).
			b.WriteString(sp.s)
			b.WriteString(t.s)
			w += sp.width + t.width
		case t.width <= cols:
			// Fits on a line of its own: the spaces at the break go.
			if w > 0 {
				flush()
			}
			b.WriteString(t.s)
			w = t.width
		default:
			// Longer than a line: start it on a fresh line and split it
			// between characters, keeping invalid UTF-8 bytes as they are.
			if w > 0 {
				flush()
			}
			for i := 0; i < len(t.s); {
				r, size := utf8.DecodeRuneInString(t.s[i:])
				rw := RuneWidth(r)
				if w > 0 && w+rw > cols {
					flush()
				}
				b.WriteString(t.s[i : i+size])
				w += rw
				i += size
			}
		}
	}
	lines = append(lines, b.String())
	return lines
}

// Col is one column of a table row: its width in columns (0 or less: share
// the width the fixed columns leave) and the alignment of its text.
type Col struct {
	Width int
	Align Align
}

// Columns lays out one table row on a line of cols columns. Adjacent columns
// are separated by one space. Each cell is wrapped inside its own column, so
// a long item name wraps within the name column while the other cells stay on
// the row's first line. When the fixed widths do not fit, the widest columns
// are narrowed. Cells beyond the last column are joined to the last cell
// with a space. Every returned line is at most cols columns wide and has no
// trailing spaces.
func Columns(cols int, specs []Col, cells []string) []string {
	if cols < 1 {
		cols = 1
	}
	if len(specs) == 0 {
		specs = []Col{{}}
	}
	n := len(specs)
	row := make([]string, n)
	copy(row, cells)
	if len(cells) > n {
		row[n-1] = strings.Join(cells[n-1:], " ")
	}
	widths := columnWidths(cols, specs)
	wrapped := make([][]string, n)
	rows := 1
	for i := range row {
		wrapped[i] = Wrap(row[i], widths[i])
		rows = max(rows, len(wrapped[i]))
	}
	out := make([]string, 0, rows)
	var b strings.Builder
	for r := range rows {
		b.Reset()
		for i := range n {
			if i > 0 {
				b.WriteByte(' ')
			}
			piece := ""
			if r < len(wrapped[i]) {
				piece = wrapped[i][r]
			}
			b.WriteString(Pad(piece, widths[i], specs[i].Align))
		}
		out = append(out, strings.TrimRight(Truncate(b.String(), cols), " "))
	}
	return out
}

// columnWidths resolves the widths of specs on a line of cols columns.
func columnWidths(cols int, specs []Col) []int {
	n := len(specs)
	avail := cols - (n - 1)
	widths := make([]int, n)
	fixed, flex := 0, 0
	for i, c := range specs {
		if c.Width > 0 {
			widths[i] = c.Width
			fixed += c.Width
		} else {
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
	return widths
}
