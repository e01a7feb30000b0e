package printer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"storeedge/printer/uri"
)

func TestOpenUnknownScheme(t *testing.T) {
	RegisterUnavailable("test-missing", "this build leaves it out on purpose")
	tests := []struct {
		scheme, want string
	}{
		{"test-missing", "no transport for this scheme in this build: this build leaves it out on purpose"},
		{"test-never", "no transport for this scheme in this build (available: "},
	}
	for _, tt := range tests {
		_, err := Open(uri.URI{Raw: tt.scheme + "://x", Scheme: tt.scheme}, OpenOptions{})
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%s://) = %v, want %q", tt.scheme, err, tt.want)
		}
	}
	if why, ok := Unavailable("test-missing"); !ok || why == "" {
		t.Errorf("Unavailable = %q, %v", why, ok)
	}
	if _, ok := Unavailable("test-never"); ok {
		t.Error("Unavailable reports a reason nobody registered")
	}
}

func TestDiscoverRunsEveryScheme(t *testing.T) {
	RegisterDiscoverer("test-b", func(context.Context) ([]Found, error) { return nil, errors.New("no bus") })
	RegisterDiscoverer("test-a", func(context.Context) ([]Found, error) {
		return []Found{{URI: "test-a://1", Name: "one"}}, nil
	})
	var got []string
	for _, d := range Discover(context.Background()) {
		if strings.HasPrefix(d.Scheme, "test-") {
			got = append(got, fmt.Sprintf("%s:%d:%v", d.Scheme, len(d.Found), d.Err))
		}
	}
	if want := "test-a:1:<nil> test-b:0:no bus"; strings.Join(got, " ") != want {
		t.Fatalf("Discover = %v, want %s", got, want)
	}
}

func TestNotSent(t *testing.T) {
	base := errors.New("connection refused")
	err := fmt.Errorf("printer front: %w", NotSent(base))
	if !IsNotSent(err) || !errors.Is(err, base) {
		t.Fatalf("IsNotSent(%v) = false or the cause is lost", err)
	}
	if IsNotSent(base) || NotSent(nil) != nil {
		t.Fatal("NotSent marks what it should not")
	}
}

func TestStatusString(t *testing.T) {
	tests := []struct {
		s    Status
		want string
	}{
		{Status{State: StateOnline}, "online"},
		{Status{State: StatePaperOut, Detail: "paper end"}, "paper_out (paper end)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	for _, s := range []State{StatePaperOut, StateCoverOpen, StateError, StateOffline} {
		if !s.NeedsPerson() {
			t.Errorf("%s does not need a person", s)
		}
	}
	for _, s := range []State{StateOnline, StatePaperLow, StateUnknown, StatePrinting} {
		if s.NeedsPerson() {
			t.Errorf("%s needs a person", s)
		}
	}
}
