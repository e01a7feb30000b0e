package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// Routes are the queue API's handlers keyed by ServeMux pattern, for
// status.Options.Routes. A job id holds slashes: it is one path segment,
// percent-encoded (url.PathEscape).
//
//	GET  /api/v1/jobs?state=held&state=dead&printer=front&limit=50&newest=1
//	GET  /api/v1/jobs/{id}
//	POST /api/v1/jobs/{id}/retry
//	POST /api/v1/jobs/{id}/release
//	POST /api/v1/jobs/{id}/drop      body {"reason": "..."} (optional)
//	POST /api/v1/jobs/{id}/reprint   body {"printer": "..."} (optional)
//	POST /api/v1/jobs/{id}/move      body {"printer": "..."} (required)
//
// Every answer is JSON; an error is {"error": "..."} with status 400 (bad
// input), 404 (no such job), 409 (the job's state does not allow it) or 500.
func Routes(b Backend, log *slog.Logger) map[string]http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handlers{b: b, log: log}
	return map[string]http.Handler{
		"GET /api/v1/jobs":               http.HandlerFunc(h.list),
		"GET /api/v1/jobs/{id}":          http.HandlerFunc(h.get),
		"POST /api/v1/jobs/{id}/retry":   h.action("retry", func(id string, _ body) (Job, error) { return b.Retry(id) }),
		"POST /api/v1/jobs/{id}/release": h.action("release", func(id string, _ body) (Job, error) { return b.Release(id) }),
		"POST /api/v1/jobs/{id}/drop":    h.action("drop", func(id string, r body) (Job, error) { return b.Drop(id, r.Reason) }),
		"POST /api/v1/jobs/{id}/reprint": h.action("reprint", func(id string, r body) (Job, error) { return b.Reprint(id, r.Printer) }),
		"POST /api/v1/jobs/{id}/move":    h.action("move", func(id string, r body) (Job, error) { return b.Move(id, r.Printer) }),
	}
}

// body is the optional JSON body of an action.
type body struct {
	Reason  string `json:"reason,omitempty"`
	Printer string `json:"printer,omitempty"`
}

// maxBody limits an action's request body.
const maxBody = 64 << 10

type handlers struct {
	b   Backend
	log *slog.Logger
}

// ListResponse is the answer of GET /api/v1/jobs.
type ListResponse struct {
	Jobs []Job `json:"jobs"`
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := Query{Printer: v.Get("printer"), Newest: v.Get("newest") == "1" || v.Get("newest") == "true"}
	for _, s := range v["state"] {
		for _, p := range strings.Split(s, ",") {
			if p != "" {
				q.States = append(q.States, p)
			}
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			h.fail(w, fmt.Errorf("limit %q is not a whole number >= 0: %w", s, ErrBadInput))
			return
		}
		q.Limit = n
	}
	jobs, err := h.b.List(q)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ListResponse{Jobs: jobs})
}

func (h *handlers) get(w http.ResponseWriter, r *http.Request) {
	j, err := h.b.Get(r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (h *handlers) action(name string, do func(id string, b body) (Job, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		var b body
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			h.fail(w, fmt.Errorf("read request body: %v: %w", err, ErrBadInput))
			return
		}
		if len(strings.TrimSpace(string(data))) > 0 {
			dec := json.NewDecoder(strings.NewReader(string(data)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&b); err != nil {
				h.fail(w, fmt.Errorf("request body: %v: %w", err, ErrBadInput))
				return
			}
			if _, err := dec.Token(); err != io.EOF {
				h.fail(w, fmt.Errorf("request body: trailing data after the JSON object: %w", ErrBadInput))
				return
			}
		}
		j, err := do(id, b)
		if err != nil {
			h.fail(w, err)
			return
		}
		h.log.Info("job changed through the API", "action", name, "job", id, "state", j.State, "new_job", j.ID)
		writeJSON(w, http.StatusOK, j)
	})
}

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error string `json:"error"`
}

func (h *handlers) fail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrBadInput):
		code = http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, ErrState):
		code = http.StatusConflict
	default:
		h.log.Error("queue API", "err", err)
	}
	writeJSON(w, code, ErrorResponse{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
