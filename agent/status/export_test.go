package status

import (
	"encoding/json"
	"testing"
)

// Browser drives headless Chromium for the end-to-end tests of package
// status_test, which run the real agent (and so cannot live in this package).
type Browser struct {
	t    *testing.T
	page *cdp
}

// StartBrowser launches headless Chromium (skipped in -short mode, and
// outside CI when Chromium is not installed).
func StartBrowser(t *testing.T) *Browser { return &Browser{t: t, page: startChromium(t)} }

// Call sends one DevTools command.
func (b *Browser) Call(method string, params any) (json.RawMessage, error) {
	return b.page.call(method, params)
}

// Eval runs a script in the page and returns its value as text.
func (b *Browser) Eval(expr string) (string, error) { return b.page.eval(expr) }

// Navigate loads url.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	if _, err := b.page.call("Page.navigate", map[string]any{"url": url}); err != nil {
		b.t.Fatal(err)
	}
}

// Until evaluates expr until it gives want, failing the test after 10 s.
func (b *Browser) Until(what, expr, want string) {
	b.t.Helper()
	until(b.t, b.page, what, expr, want)
}

// Screenshot saves the whole page, width pixels wide, as a PNG.
func (b *Browser) Screenshot(path string, width int, mobile bool) {
	b.t.Helper()
	screenshot(b.t, b.page, path, width, mobile)
}

// Text and Click are scripts reading the text of, and clicking, the first
// element matching a CSS selector.
var (
	Text  = text
	Click = click
)

// SkipOutsideCI skips a test whose tool is missing, but fails it in CI.
var SkipOutsideCI = skipOutsideCI
