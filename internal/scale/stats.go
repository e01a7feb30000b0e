package scale

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Dist summarises a sample.
type Dist struct {
	N                       int
	Mean                    float64
	Min, P50, P90, P99, Max float64
}

// Distribution summarises xs; percentiles are nearest-rank.
func Distribution(xs []float64) Dist {
	if len(xs) == 0 {
		return Dist{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	rank := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Dist{N: len(s), Mean: sum / float64(len(s)), Min: s[0], P50: rank(50), P90: rank(90), P99: rank(99), Max: s[len(s)-1]}
}

// String shows the summary, one decimal each.
func (d Dist) String() string { return d.Format("%.1f", "") }

// Format shows the summary with each number in format followed by unit.
func (d Dist) Format(format, unit string) string {
	f := func(x float64) string { return fmt.Sprintf(format, x) + unit }
	return fmt.Sprintf("n %d, mean %s, min %s, p50 %s, p90 %s, p99 %s, max %s",
		d.N, f(d.Mean), f(d.Min), f(d.P50), f(d.P90), f(d.P99), f(d.Max))
}

// Millis is d in milliseconds.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// PerSecond counts the times in each whole second of [from, to).
func PerSecond(times []time.Time, from, to time.Time) []int {
	n := int(to.Sub(from) / time.Second)
	if n <= 0 {
		return nil
	}
	bins := make([]int, n)
	for _, t := range times {
		if t.Before(from) || !t.Before(to) {
			continue
		}
		if i := int(t.Sub(from) / time.Second); i < n {
			bins[i]++
		}
	}
	return bins
}

// Histogram shows counts per second as rows of perRow numbers, and how
// many seconds saw each count.
func Histogram(bins []int, perRow int) string {
	var b strings.Builder
	for i, c := range bins {
		if i%perRow == 0 {
			if i > 0 {
				b.WriteByte('\n')
			}
			fmt.Fprintf(&b, "  s%04d:", i)
		}
		fmt.Fprintf(&b, " %2d", c)
	}
	seen := map[int]int{}
	top := 0
	for _, c := range bins {
		seen[c]++
		top = max(top, c)
	}
	b.WriteString("\n  seconds with k polls:")
	for k := 0; k <= top; k++ {
		if seen[k] > 0 {
			fmt.Fprintf(&b, " %d:%d", k, seen[k])
		}
	}
	return b.String()
}

// Peak returns the largest count and the mean count.
func Peak(bins []int) (peak int, mean float64) {
	if len(bins) == 0 {
		return 0, 0
	}
	sum := 0
	for _, c := range bins {
		sum += c
		peak = max(peak, c)
	}
	return peak, float64(sum) / float64(len(bins))
}
