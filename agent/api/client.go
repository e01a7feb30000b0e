package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls the queue API of a running agent.
type Client struct {
	Base  string // e.g. "http://127.0.0.1:8723"
	Token string // the status token, when the agent has one
	HTTP  *http.Client
}

var _ Backend = (*Client)(nil)

func (c *Client) do(method, path string, in, out any) error {
	var rd io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.Base, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("queue API: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("queue API %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("queue API %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e ErrorResponse
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		var kind error
		switch resp.StatusCode {
		case http.StatusBadRequest:
			kind = ErrBadInput
		case http.StatusNotFound:
			kind = ErrNotFound
		case http.StatusConflict:
			kind = ErrState
		default:
			return fmt.Errorf("queue API %s %s: %s: %s", method, path, resp.Status, msg)
		}
		return remoteError{msg: msg, kind: kind}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("queue API %s %s: bad answer: %w", method, path, err)
	}
	return nil
}

// remoteError carries the agent's message and the matching sentinel.
type remoteError struct {
	msg  string
	kind error
}

func (e remoteError) Error() string { return e.msg }
func (e remoteError) Unwrap() error { return e.kind }

// List lists jobs.
func (c *Client) List(q Query) ([]Job, error) {
	v := url.Values{}
	if q.Printer != "" {
		v.Set("printer", q.Printer)
	}
	for _, s := range q.States {
		v.Add("state", s)
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Newest {
		v.Set("newest", "1")
	}
	path := "/api/v1/jobs"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out ListResponse
	if err := c.do(http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return out.Jobs, nil
}

func jobPath(id, action string) string {
	p := "/api/v1/jobs/" + url.PathEscape(id)
	if action != "" {
		p += "/" + action
	}
	return p
}

// Get shows one job.
func (c *Client) Get(id string) (Job, error) {
	var j Job
	err := c.do(http.MethodGet, jobPath(id, ""), nil, &j)
	return j, err
}

func (c *Client) post(id, action string, b *body) (Job, error) {
	var j Job
	var in any
	if b != nil {
		in = b
	}
	err := c.do(http.MethodPost, jobPath(id, action), in, &j)
	return j, err
}

// Retry retries a dead or dropped job, or releases a held one.
func (c *Client) Retry(id string) (Job, error) { return c.post(id, "retry", nil) }

// Release releases a held job.
func (c *Client) Release(id string) (Job, error) { return c.post(id, "release", nil) }

// Drop drops a job.
func (c *Client) Drop(id, reason string) (Job, error) {
	return c.post(id, "drop", &body{Reason: reason})
}

// Reprint reprints a job.
func (c *Client) Reprint(id, printer string) (Job, error) {
	return c.post(id, "reprint", &body{Printer: printer})
}

// Move moves a pending job to another printer.
func (c *Client) Move(id, printer string) (Job, error) {
	return c.post(id, "move", &body{Printer: printer})
}
