package status

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPageLogic runs the page script's logic under Node.js: both languages
// have every label, the server's alerts read in plain words, each job state
// offers the actions the API allows, and a new order is noticed once.
func TestPageLogic(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		skipOutsideCI(t, "node is not installed (make test installs it)")
	}
	script, err := filepath.Abs(filepath.Join("assets", "static", "app.js"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := json.Marshal(normalize(fullSnapshot(), t0, DefaultOfflineAlert))
	if err != nil {
		t.Fatal(err)
	}
	// The driver prints what the page would show for the snapshot.
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
// Every action a state offers has a label and, where it asks, a question.
for (const st of Object.keys(app.ACTIONS)) {
  for (const a of app.ACTIONS[st]) {
    for (const l of ['zh', 'en']) {
      if (!app.TEXT[l].act[a]) missing.push(l + ':act.' + a);
      if (a !== 'preview' && !app.TEXT[l].done[a]) missing.push(l + ':done.' + a);
    }
  }
}
const seen = {};
const first = app.newOrders(seen, snap);
const again = app.newOrders(seen, snap);
const more = app.newOrders(seen, {tickets: [{order_id: 'E9', kind: 'receipt'}, {order_id: 'E9', kind: 'kitchen'}, {order_id: '', kind: 'test'}]});
const out = {
  missing,
  ws: app.WS_PATH,
  never: app.fmtTime('0001-01-01T00:00:00Z', app.TEXT.zh),
  ago: app.fmtAgo('2026-03-01T12:00:00Z', '2026-03-01T13:05:00Z', app.TEXT.zh),
  zh: snap.alerts.map(a => a.level + '|' + app.alertText(a, app.TEXT.zh, snap)),
  en: snap.alerts.map(a => a.level + '|' + app.alertText(a, app.TEXT.en, snap)),
  other: [
    {kind: 'held', level: 'bad', count: 2}, {kind: 'paused', level: 'warn', subject: 'front'},
    {kind: 'printer', level: 'bad', subject: 'bar', state: 'offline', since: '2026-03-01T13:00:00Z'},
    {kind: 'binding', level: 'bad', subject: '43435545', ticket: 'kitchen', printer: 'kichen'},
  ].map(a => app.alertText(a, app.TEXT.zh, snap)),
  actions: ['pending', 'inflight', 'held', 'done', 'dead', 'dropped', 'weird'].map(s => s + ':' + app.actionsFor(s).join(',')),
  path: app.jobPath('youzan/1/E1/new/receipt/1#r1', 'reprint'),
  orders: [first.join(','), again.join(','), more.join(',')],
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
		Ago     string
		ZH, EN  []string
		Other   []string
		Actions []string
		Path    string
		Orders  []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if len(res.Missing) > 0 {
		t.Errorf("labels missing in one language: %v", res.Missing)
	}
	checks := []struct{ what, got, want string }{
		{"websocket path", res.WS, pathWS},
		{"zero time", res.Never, "从未"},
		{"time ago", res.Ago, "1 小时 5 分钟"},
		{"job path", res.Path, "/api/v1/jobs/youzan%2F1%2FE1%2Fnew%2Freceipt%2F1%23r1/reprint"},
		{"new orders of the first snapshot", res.Orders[0], "E2026,E2025"},
		{"the same snapshot again", res.Orders[1], ""},
		{"one new order with two tickets", res.Orders[2], "E9"},
		// fullSnapshot: kitchen printer out of paper, one dead job, wdt in backoff.
		{"zh alerts", strings.Join(res.ZH, "\n"), strings.Join([]string{
			"bad|打印机「kitchen」缺纸：请换纸，换好后会自动继续打印。 [1 小时 0 分钟]",
			"bad|有 1 张小票打印失败，需要处理。",
			"warn|平台「wdt」稍后重试：连接失败，正在等待自动重试。（wdt: http 503 from api） [2 小时 0 分钟]",
		}, "\n")},
		{"en alerts", strings.Join(res.EN, "\n"), strings.Join([]string{
			`bad|Printer "kitchen" paper out: load paper; printing resumes by itself. [1 h 0 min]`,
			"bad|1 ticket failed to print and need attention.",
			`warn|Platform "wdt" retrying soon: the connection failed; waiting to retry. (wdt: http 503 from api) [2 h 0 min]`,
		}, "\n")},
		{"other alerts", strings.Join(res.Other, "\n"), strings.Join([]string{
			"有 2 张小票可能已打印过（程序意外退出时正在打印），请在“小票”页决定打印或放弃。",
			"打印机「front」已暂停，新小票在排队；到“打印机”页点“继续打印”恢复。",
			"打印机「bar」离线已超过 1 分钟：连不上打印机，请检查电源和数据线/网线。 [58 分钟]",
			"门店「人民路店」的厨房联指向未配置的打印机「kichen」。",
		}, "\n")},
		{"actions by state", strings.Join(res.Actions, " "), "pending:preview,move,drop inflight:preview held:preview,release,drop " +
			"done:preview,reprint dead:preview,retry,reprint,drop dropped:preview,retry,reprint weird:preview"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.what, c.got, c.want)
		}
	}
}
