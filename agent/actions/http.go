package actions

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"storeedge/queue"
)

// Routes are the actions' handlers keyed by ServeMux pattern, for
// status.Options.Routes:
//
//	POST /api/v1/printers/{name}/pause
//	POST /api/v1/printers/{name}/resume
//	POST /api/v1/printers/{name}/test          queues a test page
//	GET  /api/v1/jobs/{id}/preview.png         the job's ticket as a picture
//
// The printer answers are {"printer": ..., "paused": ...} (test: the queued
// job); errors are {"error": "..."} with 404 (no such printer or job), 409
// (a ticket that cannot be drawn) or 500.
func (a *Actions) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"POST /api/v1/printers/{name}/pause":  http.HandlerFunc(a.servePause),
		"POST /api/v1/printers/{name}/resume": http.HandlerFunc(a.servePause),
		"POST /api/v1/printers/{name}/test":   http.HandlerFunc(a.serveTest),
		"GET /api/v1/jobs/{id}/preview.png":   http.HandlerFunc(a.servePreview),
	}
}

// PrinterResponse answers pause and resume.
type PrinterResponse struct {
	Printer string `json:"printer"`
	Paused  bool   `json:"paused"`
	State   string `json:"state"`
}

// TestResponse answers a test print.
type TestResponse struct {
	Printer string `json:"printer"`
	Job     string `json:"job"`
	Paused  bool   `json:"paused"` // the page prints once the printer is resumed
}

func (a *Actions) servePause(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	pause := r.Pattern == "POST /api/v1/printers/{name}/pause"
	if err := a.setPaused(name, pause); err != nil {
		a.fail(w, err)
		return
	}
	info := a.printers[name].Worker.Info()
	writeJSON(w, http.StatusOK, PrinterResponse{Printer: name, Paused: info.Paused, State: string(info.State)})
}

func (a *Actions) serveTest(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	j, err := a.TestPrint(name)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, TestResponse{Printer: name, Job: j.ID, Paused: a.printers[name].Worker.Info().Paused})
}

func (a *Actions) servePreview(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if etag, err := a.PreviewETag(id); err == nil && etag == inm {
			w.Header().Set("ETag", etag)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	png, etag, err := a.Preview(id)
	if err != nil {
		a.fail(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", etag)
	if r.Method != http.MethodHead {
		_, _ = w.Write(png)
	}
}

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error string `json:"error"`
}

func (a *Actions) fail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrUnknownPrinter), errors.Is(err, queue.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, ErrCannotRender):
		code = http.StatusConflict
	default:
		a.log.Error("printer action failed", "err", err)
	}
	writeJSON(w, code, ErrorResponse{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
