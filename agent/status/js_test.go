package status

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPageLogic runs the page script's plain-words logic under Node.js, when
// it is installed: both languages have every label, and alerts name the
// problems a shop assistant must act on.
func TestPageLogic(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		skipOutsideCI(t, "node is not installed (make test installs it)")
	}
	script, err := filepath.Abs(filepath.Join("assets", "static", "app.js"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := json.Marshal(normalize(fullSnapshot(), t0))
	if err != nil {
		t.Fatal(err)
	}
	// The driver prints {missing: [...], zh: [...], en: [...]}.
	driver := `
const app = require(process.argv[1]);
const snap = JSON.parse(process.argv[2]);
function keys(o, prefix, out) {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v && typeof v === 'object') keys(v, prefix + k + '.', out); else out.push(prefix + k);
  }
  return out;
}
const zh = new Set(keys(app.TEXT.zh, '', [])), en = new Set(keys(app.TEXT.en, '', []));
const missing = [...zh].filter(k => !en.has(k)).map(k => 'en:' + k)
  .concat([...en].filter(k => !zh.has(k)).map(k => 'zh:' + k));
const out = {
  missing,
  ws: app.WS_PATH,
  never: app.fmtTime('0001-01-01T00:00:00Z', app.TEXT.zh),
  zh: app.alerts(snap, app.TEXT.zh),
  en: app.alerts(snap, app.TEXT.en),
  none: app.alerts({printers: [{name: 'a', state: 'online'}], queue: {dead: 0}, bindings: [{store: 's', ticket: 'receipt', printers: ['a']}]}, app.TEXT.zh),
};
console.log(JSON.stringify(out));
`
	out, err := exec.Command(node, "-e", driver, script, string(snap)).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var res struct {
		Missing []string
		WS      string
		Never   string
		ZH, EN  []struct{ Level, Text string }
		None    []struct{ Level, Text string }
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if len(res.Missing) > 0 {
		t.Errorf("labels missing in one language: %v", res.Missing)
	}
	if res.WS != pathWS {
		t.Errorf("websocket path %q, want %q", res.WS, pathWS)
	}
	if res.Never != "从未" {
		t.Errorf("the zero time shows as %q, want 从未", res.Never)
	}
	if len(res.None) != 0 {
		t.Errorf("a healthy snapshot raised alerts: %v", res.None)
	}
	// fullSnapshot: kitchen printer out of paper, wdt in backoff, one dead job.
	tests := []struct {
		lang   string
		alerts []struct{ Level, Text string }
		want   []string
	}{
		{"zh", res.ZH, []string{
			"bad|打印机「kitchen」缺纸：请换纸，换好后会自动继续打印。",
			"warn|平台「wdt」稍后重试：连接失败，正在等待自动重试。（wdt: http 503 from api）",
			"bad|有 1 张小票打印失败，需要处理。",
		}},
		{"en", res.EN, []string{
			`bad|Printer "kitchen" paper out: load paper; printing resumes by itself.`,
			`warn|Platform "wdt" retrying soon: the connection failed; waiting to retry. (wdt: http 503 from api)`,
			"bad|1 ticket failed to print and need attention.",
		}},
	}
	for _, tc := range tests {
		var got []string
		for _, a := range tc.alerts {
			got = append(got, a.Level+"|"+a.Text)
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s alerts:\n got %q\nwant %q", tc.lang, got, tc.want)
		}
	}
}
