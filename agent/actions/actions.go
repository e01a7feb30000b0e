// Package actions carries out what a person asks of the printers from the
// status page or the local API: pause and resume a printer, print a test
// page, and draw a job's ticket as a picture before (or after) it prints.
//
// A pause is kept in the queue database, so a printer paused before a
// restart stays paused after it.
package actions

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"storeedge/printer"
	"storeedge/printer/escpos"
	"storeedge/queue"
	"storeedge/sync/order"
)

// Worker is the part of a printer worker a person controls.
type Worker interface {
	Pause()
	Resume()
	Info() printer.Info
}

// Printer is one configured printer.
type Printer struct {
	Name    string
	Profile escpos.Profile
	Worker  Worker
}

// RenderFunc renders a job's ticket as ESC/POS for profile prof, as it
// prints (or printed) at time at.
type RenderFunc func(job queue.Job, p printer.Payload, prof escpos.Profile, at time.Time) ([]byte, error)

// Options configure Actions.
type Options struct {
	Queue    *queue.Queue
	Printers []Printer
	Render   RenderFunc
	Now      func() time.Time // nil = time.Now
	Logger   *slog.Logger     // nil discards
}

// Errors of the actions, told apart with errors.Is.
var (
	ErrUnknownPrinter = errors.New("unknown printer")
	ErrNotFound       = queue.ErrNotFound
	ErrCannotRender   = errors.New("ticket cannot be drawn")
)

// pauseSpace is the queue key-value space that keeps paused printers.
const pauseSpace = "printer-paused"

// previewCache is how many drawn tickets are kept for repeated views.
const previewCache = 32

// Actions carries out the actions on the configured printers.
type Actions struct {
	opt      Options
	log      *slog.Logger
	printers map[string]Printer
	names    []string

	mu      sync.Mutex
	pngs    map[string][]byte // ETag -> picture
	pngKeys []string          // oldest first
	testSeq uint64
}

// New checks the options and pauses the printers that were paused when the
// agent last stopped.
func New(opt Options) (*Actions, error) {
	if opt.Queue == nil || opt.Render == nil {
		return nil, errors.New("actions: queue and render are required")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Actions{opt: opt, log: opt.Logger, printers: map[string]Printer{}, pngs: map[string][]byte{}}
	for _, p := range opt.Printers {
		if p.Name == "" || p.Worker == nil {
			return nil, fmt.Errorf("actions: printer %q needs a name and a worker", p.Name)
		}
		if _, dup := a.printers[p.Name]; dup {
			return nil, fmt.Errorf("actions: printer %q given twice", p.Name)
		}
		a.printers[p.Name] = p
		a.names = append(a.names, p.Name)
	}
	paused, err := opt.Queue.GetValues(pauseSpace, "")
	if err != nil {
		return nil, fmt.Errorf("actions: read paused printers: %w", err)
	}
	for name, v := range paused {
		p, ok := a.printers[name]
		if !ok || v == "" {
			continue // a printer no longer in the config
		}
		p.Worker.Pause()
		a.log.Warn("printer is still paused from before the restart; resume it on the status page", "printer", name)
	}
	return a, nil
}

func (a *Actions) printer(name string) (Printer, error) {
	p, ok := a.printers[name]
	if !ok {
		return Printer{}, fmt.Errorf("printer %q: %w (configured: %s)", name, ErrUnknownPrinter, strings.Join(a.names, ", "))
	}
	return p, nil
}

// Pause stops printer name from starting jobs until Resume, also across
// restarts. Its jobs wait in its lane.
func (a *Actions) Pause(name string) error { return a.setPaused(name, true) }

// Resume lets printer name print again.
func (a *Actions) Resume(name string) error { return a.setPaused(name, false) }

func (a *Actions) setPaused(name string, paused bool) error {
	p, err := a.printer(name)
	if err != nil {
		return err
	}
	v := ""
	if paused {
		v = a.opt.Now().UTC().Format(time.RFC3339)
	}
	// Stored first: a pause that is not on disk would end at a restart.
	if err := a.opt.Queue.SetValues(pauseSpace, map[string]string{name: v}); err != nil {
		return fmt.Errorf("printer %q: keep pause: %w", name, err)
	}
	if paused {
		p.Worker.Pause()
	} else {
		p.Worker.Resume()
	}
	a.log.Info("printer pause changed", "printer", name, "paused", paused)
	return nil
}

// TestPrint queues a test page at the end of printer name's lane and
// returns its job. A paused printer prints it once resumed.
func (a *Actions) TestPrint(name string) (queue.Job, error) {
	if _, err := a.printer(name); err != nil {
		return queue.Job{}, err
	}
	now := a.opt.Now()
	a.mu.Lock()
	a.testSeq++
	seq := a.testSeq
	a.mu.Unlock()
	id := fmt.Sprintf("test/%s/%s-%d", name, now.In(order.CST).Format("20060102-150405.000"), seq)
	payload, err := printer.Payload{Kind: order.KindTest, Copy: 1, Copies: 1, Intended: name}.Encode()
	if err != nil {
		return queue.Job{}, fmt.Errorf("test page for printer %q: %w", name, err)
	}
	added, err := a.opt.Queue.Enqueue(queue.Job{ID: id, Printer: name, Payload: payload})
	if err != nil {
		return queue.Job{}, fmt.Errorf("test page for printer %q: %w", name, err)
	}
	if !added[0] {
		return queue.Job{}, fmt.Errorf("test page for printer %q: job %q is already queued", name, id)
	}
	a.log.Info("test page queued", "printer", name, "job", id)
	return a.opt.Queue.Get(id)
}

// Preview draws job id's ticket as a PNG picture, as it prints on the
// job's printer: with the reprint mark when the job may have printed
// before, and the printer it was meant for when it moved. The etag names
// the picture's content, so an unchanged ticket is not drawn again.
func (a *Actions) Preview(id string) (png []byte, etag string, err error) {
	data, prof, err := a.render(id)
	if err != nil {
		return nil, "", err
	}
	etag = previewETag(data, prof)
	if png, ok := a.cached(etag); ok {
		return png, etag, nil
	}
	var buf bytes.Buffer
	if err := escpos.PreviewPNG(&buf, data, prof); err != nil {
		if buf.Len() == 0 {
			return nil, "", fmt.Errorf("job %q: %w: %w", id, ErrCannotRender, err)
		}
		// The picture is drawn; the stream had something the decoder
		// does not know, which the picture shows as best it can.
		a.log.Warn("ticket preview drawn with problems", "job", id, "err", err)
	}
	a.keep(etag, buf.Bytes())
	return buf.Bytes(), etag, nil
}

// PreviewETag is the ETag Preview would give job id, found by rendering
// the ticket without drawing it.
func (a *Actions) PreviewETag(id string) (string, error) {
	data, prof, err := a.render(id)
	if err != nil {
		return "", err
	}
	return previewETag(data, prof), nil
}

func previewETag(data []byte, prof escpos.Profile) string {
	h := sha256.New()
	h.Write([]byte(prof.Name))
	h.Write([]byte{0})
	h.Write(data)
	return `"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
}

// render renders job id with its printer's profile.
func (a *Actions) render(id string) ([]byte, escpos.Profile, error) {
	j, err := a.opt.Queue.Get(id)
	if err != nil {
		return nil, escpos.Profile{}, fmt.Errorf("preview: %w", err)
	}
	pr, err := a.printer(j.Printer)
	if err != nil {
		return nil, escpos.Profile{}, fmt.Errorf("preview of job %q: %w", id, err)
	}
	p, err := printer.DecodePayload(j.Payload)
	if err != nil {
		return nil, escpos.Profile{}, fmt.Errorf("preview of job %q: %w: %w", id, ErrCannotRender, err)
	}
	if p.Intended == j.Printer {
		p.Intended = ""
	}
	if strings.HasPrefix(j.LastError, printer.SentPrefix) {
		j.Uncertain = true
	}
	data, err := a.opt.Render(j, p, pr.Profile, j.Updated)
	if err != nil {
		return nil, escpos.Profile{}, fmt.Errorf("preview of job %q: %w: %w", id, ErrCannotRender, err)
	}
	return data, pr.Profile, nil
}

func (a *Actions) cached(etag string) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.pngs[etag]
	return b, ok
}

func (a *Actions) keep(etag string, png []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.pngs[etag]; ok {
		return
	}
	if len(a.pngKeys) >= previewCache {
		delete(a.pngs, a.pngKeys[0])
		a.pngKeys = a.pngKeys[1:]
	}
	a.pngs[etag] = png
	a.pngKeys = append(a.pngKeys, etag)
}
