package order

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseCST reads any platform time string. A time it takes is in
// China Standard Time whatever the PC's zone, and writes back as
// yyyy-MM-dd HH:mm:ss text that reads as the same second; an error says
// which form was expected.
func FuzzParseCST(f *testing.F) {
	for _, s := range []string{"2024-05-23 10:12:15", " 2024-01-01 00:00:00 ", "2024-02-30 00:00:00", "2024-01-01T00:00:00", "2024-01-01 24:00:00", "0000-01-01 00:00:00", "2024-01-01 00:00:00.5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseCST(s)
		if err != nil {
			if !strings.Contains(err.Error(), "yyyy-MM-dd HH:mm:ss") || !got.IsZero() {
				t.Fatalf("ParseCST(%q) = %v, %v", s, got, err)
			}
			return
		}
		if _, off := got.Zone(); off != 8*3600 {
			t.Fatalf("ParseCST(%q) is at offset %d", s, off)
		}
		text := FormatCST(got)
		back, err := ParseCST(text)
		if err != nil || !back.Equal(got.Truncate(time.Second)) {
			t.Fatalf("ParseCST(%q) = %v writes %q, which reads %v (%v)", s, got, text, back, err)
		}
	})
}
