package status

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAlerts: a printer that needs a person raises an alert at once, except
// offline, which waits for the delay; the alert goes when the cause does.
func TestAlerts(t *testing.T) {
	now := t0.Add(time.Hour)
	tests := []struct {
		name string
		snap Snapshot
		want string // kind/level/subject/state, one per alert
	}{
		{"healthy", Snapshot{Printers: []Printer{{Name: "a", State: PrinterOnline}, {Name: "b", State: PrinterPrinting}, {Name: "c", State: PrinterUnknown}}}, ""},
		{"paper out at once", Snapshot{Printers: []Printer{{Name: "a", State: PrinterPaperOut, NeedsPersonSince: now}}}, "printer/bad/a/paper_out"},
		{"cover open and paper low", Snapshot{Printers: []Printer{{Name: "a", State: PrinterCoverOpen, Since: now}, {Name: "b", State: PrinterPaperLow}}}, "printer/bad/a/cover_open printer/warn/b/paper_low"},
		{"offline 59 s", Snapshot{Printers: []Printer{{Name: "a", State: PrinterOffline, NeedsPersonSince: now.Add(-59 * time.Second)}}}, ""},
		{"offline 60 s", Snapshot{Printers: []Printer{{Name: "a", State: PrinterOffline, NeedsPersonSince: now.Add(-time.Minute)}}}, "printer/bad/a/offline"},
		{"offline since state change", Snapshot{Printers: []Printer{{Name: "a", State: PrinterOffline, Since: now.Add(-2 * time.Minute)}}}, "printer/bad/a/offline"},
		{"paused", Snapshot{Printers: []Printer{{Name: "a", State: PrinterOnline, Paused: true}}}, "paused/warn/a/"},
		{"held and dead", Snapshot{Queue: Queue{Held: 2, Dead: 1}}, "held/bad// dead/bad//"},
		{"platforms", Snapshot{Platforms: []Platform{{Name: "y", State: PlatformError}, {Name: "w", State: PlatformBackoff}, {Name: "z", State: PlatformOK}}}, "platform/bad/y/error platform/warn/w/backoff"},
		{"binding to a missing printer", Snapshot{Printers: []Printer{{Name: "a", State: PrinterOnline}},
			Bindings: []Binding{{Store: "s", Ticket: "receipt", Printers: []string{"a"}, Backup: "bb"}}}, "binding/bad/s/"},
		{"queue moved aside", Snapshot{Queue: Queue{Recovery: &QueueRecovery{At: now, Cause: "bad page"}}}, "recovery/bad//"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.snap.Now = now
			var got []string
			for _, a := range normalize(tc.snap, now, time.Minute).Alerts {
				got = append(got, a.Kind+"/"+a.Level+"/"+a.Subject+"/"+a.State)
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("alerts %q, want %q", g, tc.want)
			}
		})
	}
}

// TestSecretsHidden: a configured secret that finds its way into a
// snapshot, a websocket message or an API answer is replaced; pictures pass
// unchanged; short values are not searched for.
func TestSecretsHidden(t *testing.T) {
	const secret, quoted = "s3cr\"et-value", `s3cr\"et-value`
	snap := fullSnapshot()
	snap.Platforms[1].LastError = "token request: client_secret=" + secret + " refused"
	var pic bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	copy(img.Pix, "s3cr\"et-value") // the secret's bytes inside a picture
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	routes := map[string]http.Handler{
		"GET /api/v1/echo": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"a":"` + secret[:5]))
			_, _ = w.Write([]byte(secret[5:] + `","b":"abc"}`)) // split across writes
		}),
		"GET /api/v1/pic.png": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(pic.Bytes())
		}),
	}
	s, ts := newTestServer(t, newFake(snap, false), Options{Loopback: true, Routes: routes, Secrets: []string{secret, "abc", ""}})
	runHub(t, s)
	h := s.Handler()
	for _, path := range []string{pathStatus, "/api/v1/echo"} {
		w := get(h, http.MethodGet, path, nil)
		body := w.Body.String()
		if strings.Contains(body, secret) || strings.Contains(body, quoted) || !strings.Contains(body, hidden) {
			t.Errorf("GET %s = %s", path, body)
		}
	}
	if w := get(h, http.MethodGet, "/api/v1/echo", nil); !strings.Contains(w.Body.String(), `"b":"abc"`) {
		t.Errorf("a value shorter than %d was hidden: %s", MinSecretLen, w.Body)
	}
	if w := get(h, http.MethodGet, "/api/v1/pic.png", nil); !bytes.Equal(w.Body.Bytes(), pic.Bytes()) {
		t.Error("a picture was changed")
	}
	c := dial(t, ts, nil)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(msg, []byte(quoted)) || !bytes.Contains(msg, []byte("client_secret="+hidden)) {
		t.Errorf("websocket message: %s", msg)
	}
}
