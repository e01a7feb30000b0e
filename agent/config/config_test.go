package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"storeedge/printer/uri"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// doc joins lines (strings or []string) with newlines, so that the n-th line
// given is line n of the document.
func doc(parts ...any) string {
	var lines []string
	for _, p := range parts {
		switch x := p.(type) {
		case string:
			lines = append(lines, x)
		case []string:
			lines = append(lines, x...)
		default:
			panic(fmt.Sprintf("doc: %T", p))
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// Building blocks of the test documents, with their line counts.
var (
	// printers2 is lines 1-6.
	printers2 = []string{
		`[[printer]]`,
		`name = "front"`,
		`uri = "usb://0416:5011"`,
		`[[printer]]`,
		`name = "kitchen"`,
		`uri = "tcp://10.0.0.9"`,
	}
	// youzan is lines 1-5.
	youzan = []string{
		`[[platform]]`,
		`type = "youzan"`,
		`client_id = "cid"`,
		`client_secret = "inline-secret"`,
		`grant_id = "12345"`,
	}
)

var testEnv = map[string]string{
	"YOUZAN_SECRET": "env-secret-9f8e7d",
	"EMPTY":         "",
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		// TOML itself.
		{"syntax", doc(`[agent]`, `data_dir = `),
			`storeedge.toml:2:12: invalid TOML: unexpected character U+000A at start of value`},
		{"syntax column counts characters", doc(`[[store]]`, `name = "人民路店" x`),
			`storeedge.toml:2:15: invalid TOML: expected newline but got U+0078 'x'`},
		{"key defined twice", doc(`[agent]`, `log_level = "info"`, `log_level = "warn"`),
			`storeedge.toml:3:1: invalid TOML: key log_level is already defined`},
		{"syntax on a secret line hides the parser's words", doc(`[agent]`, `status_token = s3cr3t-token`),
			`storeedge.toml:2:16: invalid TOML: the line holding status_token is not valid TOML (is the value a quoted string?)`},

		// Unknown keys, at any depth.
		{"unknown table with suggestion", doc(`[agnet]`, `log_level = "info"`),
			`storeedge.toml:1: agnet: unknown key (did you mean "agent"?)`},
		{"plural table name", doc(`[[stores]]`, `id = "1"`),
			`storeedge.toml:1: stores: unknown key (did you mean "store"?)`},
		{"unknown key without suggestion", doc(`[agent]`, `color = "red"`),
			`storeedge.toml:2: agent.color: unknown key; known keys are data_dir, status_listen, status_token, log_level, uncertain, failover_after, keep_done, dedupe_for`},
		{"failover too quick", doc(`[agent]`, `failover_after = "500ms"`),
			`storeedge.toml:2: agent.failover_after: 500ms is below the minimum of 1s`},
		{"failover not a duration", doc(`[agent]`, `failover_after = 30`),
			`storeedge.toml:2: agent.failover_after: must be a duration string like "30s" or "2m", not an integer`},
		{"keep_done too short", doc(`[agent]`, `keep_done = "30m"`),
			`storeedge.toml:2: agent.keep_done: 30m0s is below the minimum of 1h0m0s`},
		{"keep_done bad days", doc(`[agent]`, `keep_done = "seven d"`),
			`storeedge.toml:2: agent.keep_done: "seven d" is not a number of days from 0 to 3650 like "7d", nor a duration like "48h"`},
		{"keep_done not a string", doc(`[agent]`, `keep_done = 7`),
			`storeedge.toml:2: agent.keep_done: must be a duration string like "30s" or "2m", not an integer`},
		{"dedupe_for shorter than default keep_done", doc(`[agent]`, `dedupe_for = "3d"`),
			`storeedge.toml:2: agent.dedupe_for: 3d is shorter than keep_done (7d): a job id must be remembered at least as long as its job is kept`},
		{"dedupe_for shorter than keep_done", doc(`[agent]`, `dedupe_for = "240h"`, `keep_done = "14d"`),
			`storeedge.toml:2: agent.dedupe_for: 10d is shorter than keep_done (14d): a job id must be remembered at least as long as its job is kept`},
		{"dedupe_for not a duration", doc(`[agent]`, `dedupe_for = "a month"`),
			`storeedge.toml:2: agent.dedupe_for: "a month" is not a duration like "30s" or "2m"`},
		{"unknown quoted key", doc(`[agent]`, `"data dir" = "/srv/se"`),
			`storeedge.toml:2: agent."data dir": unknown key (did you mean "data_dir"?)`},
		{"unknown key in second printer", doc(printers2, `url = "tcp://10.0.0.8"`),
			`storeedge.toml:7: printer[1].url: unknown key (did you mean "uri"?)`},
		{"unknown sub-table of an array element", doc(printers2, `[printer.options]`, `speed = 3`),
			`storeedge.toml:7: printer[1].options: unknown key; known keys are name, uri, paper, encoding, template, logo`},
		{"unknown key in an inline table", doc(`agent = { log_level = "info", colour = "red" }`),
			`storeedge.toml:1: agent.colour: unknown key; known keys are data_dir, status_listen, status_token, log_level, uncertain, failover_after, keep_done, dedupe_for`},
		{"unknown key in an inline array of tables", doc(`printer = [`, `  { name = "a", uri = "file:///a" },`, `  { name = "b", uri = "file:///b", copies = 2 },`, `]`),
			`storeedge.toml:3: printer[1].copies: unknown key; known keys are name, uri, paper, encoding, template, logo`},

		// Shapes and types.
		{"agent not a table", doc(`agent = "x"`),
			`storeedge.toml:1: agent: must be a table written [agent], not a string`},
		{"store written as a single table", doc(`[store]`, `id = "1"`),
			`storeedge.toml:1: store: must be an array of tables written [[store]], not a table`},
		{"array element not a table", doc(`store = [1]`),
			`storeedge.toml:1: store[0]: must be a table, not an integer`},
		{"string key given an integer", doc(`[agent]`, `log_level = 3`),
			`storeedge.toml:2: agent.log_level: must be a string, not an integer`},
		{"copies as a string", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front"]`, `copies = "two"`),
			`storeedge.toml:11: binding[0].copies: must be an integer, not a string`},
		{"copies as a float", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front"]`, `copies = 2.0`),
			`storeedge.toml:11: binding[0].copies: must be an integer, not a float`},
		{"id as a boolean", doc(youzan, `[[store]]`, `id = true`),
			`storeedge.toml:7: store[0].id: must be a string or an integer, not a boolean`},
		{"name as a date", doc(`[[printer]]`, `name = 2024-05-01`, `uri = "file:///x"`),
			`storeedge.toml:2: printer[0].name: must be a string, not a date`},
		{"printers not an array", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = "front"`),
			`storeedge.toml:10: binding[0].printers: must be an array of strings like ["front"], not a string`},
		{"printers element not a string", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = [`, `  "front",`, `  7,`, `]`),
			`storeedge.toml:12: binding[0].printers[1]: must be a string, not an integer`},

		// [agent]
		{"empty data_dir", doc(`[agent]`, `data_dir = ""`),
			`storeedge.toml:2: agent.data_dir: must not be empty`},
		{"status_listen not host:port", doc(`[agent]`, `status_listen = "8723"`),
			`storeedge.toml:2: agent.status_listen: "8723" is not HOST:PORT with a port from 0 to 65535, like 127.0.0.1:8723`},
		{"status_listen port out of range", doc(`[agent]`, `status_listen = "127.0.0.1:87230"`),
			`storeedge.toml:2: agent.status_listen: "127.0.0.1:87230" is not HOST:PORT with a port from 0 to 65535, like 127.0.0.1:8723`},
		{"non-loopback status_listen without token", doc(`[agent]`, `log_level = "debug"`, `status_listen = "0.0.0.0:8723"`),
			`storeedge.toml:3: agent.status_token: required because status_listen "0.0.0.0:8723" is not a loopback address`},
		{"all interfaces without token", doc(`[agent]`, `status_listen = ":8723"`),
			`storeedge.toml:2: agent.status_token: required because status_listen ":8723" is not a loopback address`},
		{"empty status_token", doc(`[agent]`, `status_listen = "192.168.1.5:8723"`, `status_token = ""`),
			`storeedge.toml:3: agent.status_token: must not be empty`},
		{"bad log_level", doc(`[agent]`, `log_level = "trace"`),
			`storeedge.toml:2: agent.log_level: "trace" is not one of debug, info, warn, error`},
		{"bad uncertain", doc(`[agent]`, `uncertain = "skip"`),
			`storeedge.toml:2: agent.uncertain: "skip" is not one of reprint, hold`},

		// [[platform]]
		{"missing type", doc(`[[platform]]`, `name = "yz"`),
			`storeedge.toml:1: platform[0].type: required key is missing`},
		{"unknown type", doc(`[[platform]]`, `type = "jdy"`),
			`storeedge.toml:2: platform[0].type: unknown platform type "jdy"; known types: wdt, youzan`},
		{"wdt without account", doc(`[[platform]]`, `type = "wdt"`, `max_span = "96h"`, `client_id = "x"`),
			`storeedge.toml:1: platform[0].appkey: required for type "wdt" but missing
storeedge.toml:1: platform[0].appsecret: required for type "wdt" but missing
storeedge.toml:1: platform[0].sid: required for type "wdt" but missing
storeedge.toml:3: platform[0].max_span: 96h0m0s is outside 1m to 72h0m0s (60m for the classic API, 72h for the newer one)
storeedge.toml:4: platform[0].client_id: only "youzan" platforms take client_id; this one is "wdt"`},
		{"youzan bad mode", doc(`[[platform]]`, `type = "youzan"`, `client_id = "c"`, `client_secret = "s"`, `grant_id = "1"`, `mode = "mall"`, `sid = "x"`),
			`storeedge.toml:6: platform[0].mode: "mall" is not one of multi_outlet, chain
storeedge.toml:7: platform[0].sid: only "wdt" platforms take sid; this one is "youzan"`},
		{"youzan without credentials", doc(`[[platform]]`, `type = "youzan"`),
			doc(`storeedge.toml:1: platform[0].client_id: required for type "youzan" but missing`,
				`storeedge.toml:1: platform[0].client_secret: required for type "youzan" but missing`,
				`storeedge.toml:1: platform[0].grant_id: required for type "youzan" but missing`)},
		{"empty client_id", doc(youzan[:2], `client_id = ""`, youzan[3:]),
			`storeedge.toml:3: platform[0].client_id: must not be empty`},
		{"grant_id not a kdt_id", doc(youzan[:4], `grant_id = "shop-12"`),
			`storeedge.toml:5: platform[0].grant_id: "shop-12" is not a Youzan kdt_id (digits only)`},
		{"base_url not http", doc(youzan, `base_url = "ftp://open.youzanyun.com"`),
			`storeedge.toml:6: platform[0].base_url: "ftp://open.youzanyun.com" is not an http:// or https:// URL without query`},
		{"base_url without host", doc(youzan, `base_url = "https://"`),
			`storeedge.toml:6: platform[0].base_url: "https://" is not an http:// or https:// URL without query`},
		{"poll not a duration string", doc(youzan, `poll = 5`),
			`storeedge.toml:6: platform[0].poll: must be a duration string like "30s" or "2m", not an integer`},
		{"poll unreadable", doc(youzan, `poll = "5 s"`),
			`storeedge.toml:6: platform[0].poll: "5 s" is not a duration like "30s" or "2m"`},
		{"poll below minimum", doc(youzan, `poll = "500ms"`),
			`storeedge.toml:6: platform[0].poll: 500ms is below the minimum of 1s`},
		{"negative overlap", doc(youzan, `overlap = "-1m"`),
			`storeedge.toml:6: platform[0].overlap: -1m0s is negative`},
		{"negative lookback", doc(youzan, `lookback = "-2h"`),
			`storeedge.toml:6: platform[0].lookback: -2h0m0s is negative`},
		{"duplicate platform names", doc(youzan, youzan),
			`storeedge.toml:6: platform[1].name: duplicate platform name "youzan" (first at line 1)`},

		// [[store]]
		{"missing store id", doc(youzan, `[[store]]`, `name = "人民路店"`),
			`storeedge.toml:6: store[0].id: required key is missing`},
		{"store id reserved", doc(youzan, `[[store]]`, `id = "*"`),
			`storeedge.toml:7: store[0].id: "*" is reserved for bindings that match every store`},
		{"store id with spaces", doc(youzan, `[[store]]`, `id = " 42"`),
			`storeedge.toml:7: store[0].id: " 42" has spaces around it`},
		{"duplicate store id, string and integer", doc(youzan, `[[store]]`, `id = 43435545`, `[[store]]`, `id = "43435545"`),
			`storeedge.toml:9: store[1].id: duplicate store id "43435545" (first at line 7)`},
		{"store without any platform", doc(`[[store]]`, `id = "1"`),
			`storeedge.toml:1: store[0].platform: required key is missing, and no [[platform]] is configured`},
		{"store unknown platform", doc(youzan, `[[store]]`, `id = "1"`, `platform = "youzna"`),
			`storeedge.toml:8: store[0].platform: unknown platform "youzna"; configured: "youzan"`},
		{"store platform ambiguous", doc(youzan, `name = "a"`, youzan, `name = "b"`, `[[store]]`, `id = "1"`),
			`storeedge.toml:13: store[0].platform: required when more than one [[platform]] is configured; configured: "a", "b"`},

		// [[printer]]
		{"printer missing name and uri", doc(`[[printer]]`, `paper = "58mm"`),
			doc(`storeedge.toml:1: printer[0].name: required key is missing`,
				`storeedge.toml:1: printer[0].uri: required key is missing`)},
		{"printer bad scheme", doc(printers2, `[[printer]]`, `name = "bar"`, `uri = "lpt://1"`),
			`storeedge.toml:9: printer[2].uri: unknown scheme "lpt"; use file, tcp, serial, usb or spool`},
		{"printer bad usb id", doc(`[[printer]]`, `name = "a"`, `uri = "usb://04G6:5011"`),
			`storeedge.toml:3: printer[0].uri: usb: "04G6" is not a hex vendor id`},
		{"printer bad tcp port", doc(`[[printer]]`, `name = "a"`, `uri = "tcp://10.0.0.9:70000"`),
			`storeedge.toml:3: printer[0].uri: tcp: port 70000 out of range`},
		{"printer bad baud", doc(`[[printer]]`, `name = "a"`, `uri = "serial://COM3?baud=fast"`),
			`storeedge.toml:3: printer[0].uri: serial: baud "fast" is not a number`},
		{"printer unknown query key", doc(`[[printer]]`, `name = "a"`, `uri = "usb://0416:5011?sn=1"`),
			`storeedge.toml:3: printer[0].uri: usb: unknown query key "sn"; known: serial`},
		{"duplicate printer names", doc(printers2, `[[printer]]`, `name = "front"`, `uri = "file:///x"`),
			`storeedge.toml:8: printer[2].name: duplicate printer name "front" (first at line 2)`},
		{"paper width unsupported", doc(`[[printer]]`, `name = "a"`, `uri = "file:///x"`, `paper = "76mm"`),
			`storeedge.toml:4: printer[0].paper: paper width "76mm" is not supported; use one of 58mm, 80mm, tm-t88`},
		{"paper not a name", doc(`[[printer]]`, `name = "a"`, `uri = "file:///x"`, `paper = "80 mm"`),
			`storeedge.toml:4: printer[0].paper: "80 mm" is not a known paper or printer profile; use one of 58mm, 80mm, tm-t88`},
		{"paper unknown profile", doc(`[[printer]]`, `name = "a"`, `uri = "file:///x"`, `paper = "tm-u220"`),
			`storeedge.toml:4: printer[0].paper: "tm-u220" is not a known paper or printer profile; use one of 58mm, 80mm, tm-t88`},
		{"encoding unsupported", doc(`[[printer]]`, `name = "a"`, `uri = "file:///x"`, `encoding = "utf-8"`),
			`storeedge.toml:4: printer[0].encoding: unsupported encoding "utf-8"; only gb18030 is supported`},

		// [[binding]]
		{"binding missing everything", doc(`[[binding]]`, `copies = 1`),
			doc(`storeedge.toml:1: binding[0].printers: required key is missing`,
				`storeedge.toml:1: binding[0].store: required key is missing`,
				`storeedge.toml:1: binding[0].ticket: required key is missing`)},
		{"binding unknown ticket", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "kitchn"`, `printers = ["kitchen"]`),
			`storeedge.toml:9: binding[0].ticket: "kitchn" is not one of receipt, kitchen, cancel`},
		{"binding no printers", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = []`),
			`storeedge.toml:10: binding[0].printers: must name at least one printer`},
		{"binding unknown printer, close name", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["frnt"]`),
			`storeedge.toml:10: binding[0].printers[0]: unknown printer "frnt" (did you mean "front"?)`},
		{"binding unknown printer", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front", "bar"]`),
			`storeedge.toml:10: binding[0].printers[1]: unknown printer "bar"; configured: "front", "kitchen"`},
		{"binding unknown printer, none configured", doc(`[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front"]`),
			`storeedge.toml:4: binding[0].printers[0]: unknown printer "front"; no [[printer]] is configured`},
		{"binding repeats a printer", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front", "kitchen", "front"]`),
			`storeedge.toml:10: binding[0].printers[2]: printer "front" is already listed at printers[0]`},
		{"copies zero", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front"]`, `copies = 0`),
			`storeedge.toml:11: binding[0].copies: 0 is out of range 1..9`},
		{"copies ten", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front"]`, `copies = 10`),
			`storeedge.toml:11: binding[0].copies: 10 is out of range 1..9`},
		{"backup unknown", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front"]`, `backup = "office"`),
			`storeedge.toml:11: binding[0].backup: unknown printer "office"; configured: "front", "kitchen"`},
		{"backup also a printer", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front"]`, `backup = "front"`),
			`storeedge.toml:11: binding[0].backup: printer "front" is already one of the binding's printers; a backup must be another printer`},
		{"binding unknown store", doc(youzan, `[[store]]`, `id = "43435545"`, printers2, `[[binding]]`, `store = "43435546"`, `ticket = "receipt"`, `printers = ["front"]`),
			`storeedge.toml:15: binding[0].store: unknown store "43435546"; configured: "43435545"`},
		{"duplicate binding", doc(printers2,
			`[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front"]`,
			`[[binding]]`, `store = "*"`, `ticket = "RECEIPT"`, `printers = ["kitchen"]`),
			`storeedge.toml:11: binding[1]: duplicate binding for store "*" and ticket "receipt" (first at line 7)`},

		// Secrets.
		{"env secret not set", doc(youzan[:3], `client_secret = "env:NOPE_SECRET"`, youzan[4:]),
			`storeedge.toml:4: platform[0].client_secret: environment variable NOPE_SECRET is not set`},
		{"env secret empty", doc(youzan[:3], `client_secret = "env:EMPTY"`, youzan[4:]),
			`storeedge.toml:4: platform[0].client_secret: environment variable EMPTY is empty`},
		{"env without a name", doc(youzan[:3], `client_secret = "env:"`, youzan[4:]),
			`storeedge.toml:4: platform[0].client_secret: "env:" must be followed by the name of an environment variable`},
		{"file without a path", doc(youzan[:3], `client_secret = "file:"`, youzan[4:]),
			`storeedge.toml:4: platform[0].client_secret: "file:" must be followed by the path of a file holding the secret`},
		{"secret of the wrong type", doc(youzan[:3], `client_secret = 123456`, youzan[4:]),
			`storeedge.toml:4: platform[0].client_secret: must be a string, not an integer`},
		{"empty inline secret", doc(youzan[:3], `client_secret = ""`, youzan[4:]),
			`storeedge.toml:4: platform[0].client_secret: must not be empty`},
		{"status_token env not set", doc(`[agent]`, `status_listen = "0.0.0.0:8723"`, `status_token = "env:SE_TOKEN"`),
			`storeedge.toml:3: agent.status_token: environment variable SE_TOKEN is not set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("storeedge.toml", []byte(tt.doc), lookup(testEnv))
			if err == nil {
				t.Fatalf("no error; config %+v\ndocument:\n%s", c, tt.doc)
			}
			if c != nil {
				t.Errorf("got a config with an error")
			}
			want := strings.TrimSuffix(tt.want, "\n")
			if err.Error() != want {
				t.Errorf("document:\n%s\n got:\n%s\nwant:\n%s", tt.doc, err, want)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want Errors", err)
			}
		})
	}
}

func TestParseReportsEveryProblemInLineOrder(t *testing.T) {
	text := doc(
		printers2,              // 1-6
		`[[binding]]`,          // 7
		`store = "*"`,          // 8
		`ticket = "receipt"`,   // 9
		`printers = ["front"]`, // 10
		`copies = "two"`,       // 11
		`[[printer]]`,          // 12
		`name = "bar"`,         // 13
		`uri = "lpt://1"`,      // 14
		`[agent]`,              // 15
		`log_level = "loud"`,   // 16
	)
	_, err := Parse("/etc/storeedge/storeedge.toml", []byte(text), lookup(nil))
	want := strings.Join([]string{
		`/etc/storeedge/storeedge.toml:11: binding[0].copies: must be an integer, not a string`,
		`/etc/storeedge/storeedge.toml:14: printer[2].uri: unknown scheme "lpt"; use file, tcp, serial, usb or spool`,
		`/etc/storeedge/storeedge.toml:16: agent.log_level: "loud" is not one of debug, info, warn, error`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("want 3 errors, got %#v", err)
	}
	for i, e := range es {
		if i > 0 && es[i-1].Line > e.Line {
			t.Errorf("errors out of line order: %d before %d", es[i-1].Line, e.Line)
		}
	}
	var one *Error
	if !errors.As(err, &one) || one.Field != "binding[0].copies" || one.Line != 11 {
		t.Errorf("errors.As *Error = %+v, want the first problem", one)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "storeedge.toml", Line: 12, Field: "printer[1].uri", Msg: "bad"}, "storeedge.toml:12: printer[1].uri: bad"},
		{Error{File: "storeedge.toml", Field: "agent", Msg: "bad"}, "storeedge.toml: agent: bad"},
		{Error{File: "storeedge.toml", Line: 3, Column: 7, Msg: "invalid TOML: x"}, "storeedge.toml:3:7: invalid TOML: x"},
		{Error{Line: 3, Field: "agent.log_level", Msg: "bad"}, "line 3: agent.log_level: bad"},
		{Error{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("secrets/youzan", "file-secret-1a2b\r\n")
	write("secrets/token", "token-from-file\n")
	write("secrets/empty", "\n")
	write("secrets/big", strings.Repeat("x", maxSecretFile+1))
	abs := filepath.Join(dir, "secrets", "youzan")
	cfgFile := filepath.Join(dir, "storeedge.toml")

	tests := []struct {
		name, secret string
		want         string // the secret read
		wantErr      string // or the error
	}{
		{"inline", "inline-secret-xyz", "inline-secret-xyz", ""},
		{"env", "env:YOUZAN_SECRET", "env-secret-9f8e7d", ""},
		{"file relative to the config", "file:secrets/youzan", "file-secret-1a2b", ""},
		{"file absolute", "file:" + abs, "file-secret-1a2b", ""},
		{"missing env", "env:MISSING", "", "environment variable MISSING is not set"},
		{"empty env", "env:EMPTY", "", "environment variable EMPTY is empty"},
		{"missing file", "file:secrets/nope", "",
			fmt.Sprintf("cannot read secret file %q: no such file or directory", filepath.Join(dir, "secrets", "nope"))},
		{"empty file", "file:secrets/empty", "", fmt.Sprintf("secret file %q is empty", filepath.Join(dir, "secrets", "empty"))},
		{"file too big", "file:secrets/big", "", fmt.Sprintf("secret file %q is larger than 64 KiB", filepath.Join(dir, "secrets", "big"))},
		{"file is a directory", "file:secrets", "",
			fmt.Sprintf("cannot read secret file %q: is a directory", filepath.Join(dir, "secrets"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := doc(youzan[:3], fmt.Sprintf("client_secret = %q", tt.secret), youzan[4:],
				`[agent]`, `status_listen = "0.0.0.0:8723"`, `status_token = "file:secrets/token"`)
			c, err := Parse(cfgFile, []byte(text), lookup(testEnv))
			if tt.wantErr != "" {
				want := cfgFile + ":4: platform[0].client_secret: " + tt.wantErr
				if err == nil || err.Error() != want {
					t.Fatalf("got error %v\nwant %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Platforms[0].ClientSecret; got != tt.want {
				t.Errorf("client_secret = %q, want %q", got, tt.want)
			}
			if got := c.Agent.StatusToken; got != "token-from-file" {
				t.Errorf("status_token = %q, want token-from-file", got)
			}
		})
	}
}

// TestSecretsNeverShown loads configs whose secrets are set (and whose other
// parts are broken, or whose secret lines are malformed) and checks that no
// error text and no Redacted output contains a secret.
func TestSecretsNeverShown(t *testing.T) {
	dir := t.TempDir()
	const fileSecret, envSecret, inlineSecret, token = "file-secret-77aa", "env-secret-9f8e7d", "inline-secret-31ce", "token-5b5b5b"
	if err := os.WriteFile(filepath.Join(dir, "yz.secret"), []byte(fileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := []string{fileSecret, envSecret, inlineSecret, token}
	agent := []string{`[agent]`, `status_listen = "0.0.0.0:8723"`, fmt.Sprintf("status_token = %q", token)}
	platform := func(secret string) []string {
		return []string{`[[platform]]`, `name = "p-` + secret[:4] + `"`, `type = "youzan"`, `client_id = "cid"`,
			fmt.Sprintf("client_secret = %q", secret), `grant_id = "1"`}
	}
	good := doc(agent, platform("file:yz.secret"), platform("env:YOUZAN_SECRET"), platform(inlineSecret))
	broken := []string{
		good + doc(`[[printer]]`, `name = 5`),
		good + doc(`bogus = "`+inlineSecret+`"`),
		doc(`[agent]`, `status_token = `+token),
		doc(`[agent]`, `status_token = "`+token),
		doc(`[[platform]]`, `type = "youzan"`, `client_secret = `+inlineSecret+`x`),
		doc(`[[platform]]`, `type = "youzan"`, `client_secret = [`+inlineSecret+`]`),
		doc(`[[platform]]`, `type = "youzan"`, `client_secret = { v = "`+inlineSecret+`" }`),
		doc(`[agent]`, `status_token = 1234567.5e`),
		doc(`[agent]`, `status_token = """`+token),
		doc(`[agent]`, `status_listen = "0.0.0.0:1"`, `status_token = ["`+token+`"]`),
	}
	for i, text := range broken {
		_, err := Parse(filepath.Join(dir, "storeedge.toml"), []byte(text), lookup(testEnv))
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("case %d: error shows a secret:\n%s", i, err)
			}
		}
	}

	c, err := Parse(filepath.Join(dir, "storeedge.toml"), []byte(good), lookup(testEnv))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{fileSecret, envSecret, inlineSecret} {
		if c.Platforms[i].ClientSecret != want {
			t.Fatalf("platform %d secret = %q, want %q", i, c.Platforms[i].ClientSecret, want)
		}
	}
	r := c.Redacted()
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{string(js), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r)} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("Redacted output shows %q:\n%s", s, out)
			}
		}
	}
	if r.Agent.StatusToken != Masked || r.Platforms[2].ClientSecret != Masked {
		t.Errorf("secrets not masked: %+v", r)
	}
	if c.Platforms[2].ClientSecret != inlineSecret || c.Agent.StatusToken != token {
		t.Error("Redacted changed the original")
	}
}

func TestRedactedIsADeepCopy(t *testing.T) {
	c := parseOK(t, doc(printers2[:2], `uri = "usb://0416:5011?serial=A1"`, printers2[3:],
		`[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front"]`))
	r := c.Redacted()
	r.Printers[0].URI.Params["serial"] = "changed"
	r.Bindings[0].Printers[0] = "changed"
	r.Printers[1].Name = "changed"
	if c.Printers[0].URI.Params["serial"] != "A1" || c.Bindings[0].Printers[0] != "front" || c.Printers[1].Name != "kitchen" {
		t.Errorf("changing the redacted copy changed the original: %+v", c)
	}
	if r.Agent.StatusToken != "" {
		t.Errorf("an unset token must stay empty, got %q", r.Agent.StatusToken)
	}
}

func parseOK(t *testing.T, text string) *Config {
	t.Helper()
	c, err := Parse("storeedge.toml", []byte(text), lookup(testEnv))
	if err != nil {
		t.Fatalf("%v\ndocument:\n%s", err, text)
	}
	return c
}

func TestDefaults(t *testing.T) {
	c := parseOK(t, doc(
		`[[platform]]`, `type = "youzan"`, `client_id = "cid"`, `client_secret = "s"`, `grant_id = 90001`,
		`[[store]]`, `id = 43435545`,
		`[[printer]]`, `name = "front"`, `uri = "tcp://10.0.0.9"`,
		`[[binding]]`, `store = 43435545`, `ticket = "receipt"`, `printers = ["front"]`,
	))
	want := &Config{
		File: "storeedge.toml",
		Agent: Agent{
			DataDir:       DefaultDataDir(),
			StatusListen:  "127.0.0.1:8723",
			LogLevel:      "info",
			Uncertain:     "reprint",
			FailoverAfter: 30 * time.Second,
			KeepDone:      7 * 24 * time.Hour,
			DedupeFor:     30 * 24 * time.Hour,
		},
		Stores: []Store{{ID: "43435545", Name: "43435545", Platform: "youzan", ShopNo: "43435545"}},
		Platforms: []Platform{{
			Name: "youzan", Type: "youzan", BaseURL: "https://open.youzanyun.com",
			ClientID: "cid", ClientSecret: "s", GrantID: "90001",
			Poll: 30 * time.Second, Overlap: 2 * time.Minute, Lookback: time.Hour, Mode: ModeMultiOutlet,
		}},
		Printers: []Printer{{Name: "front", URI: uri.URI{Raw: "tcp://10.0.0.9", Scheme: "tcp", Host: "10.0.0.9", Port: 9100},
			Paper: "80mm", Encoding: "gb18030"}},
		Bindings: []Binding{{Store: "43435545", Ticket: "receipt", Printers: []string{"front"}, Copies: 1}},
	}
	c.ix = nil // where keys were written is not part of the values
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestValues(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		check func(*Config) string
	}{
		{"empty file", "", func(c *Config) string {
			if len(c.Stores)+len(c.Printers)+len(c.Platforms)+len(c.Bindings) != 0 || c.Agent.LogLevel != "info" {
				return fmt.Sprintf("%+v", c)
			}
			return ""
		}},
		{"relative data_dir is taken from the config's directory", doc(`[agent]`, `data_dir = "data"`), func(c *Config) string {
			return expect(c.Agent.DataDir, "data")
		}},
		{"absolute data_dir", doc(`[agent]`, `data_dir = "/srv/storeedge/"`), func(c *Config) string {
			return expect(c.Agent.DataDir, "/srv/storeedge")
		}},
		{"loopback listen needs no token", doc(`[agent]`, `status_listen = "localhost:9000"`), func(c *Config) string {
			return expect(c.Agent.StatusListen, "localhost:9000")
		}},
		{"IPv6 loopback", doc(`[agent]`, `status_listen = "[::1]:0"`), func(c *Config) string {
			return expect(c.Agent.StatusListen, "[::1]:0")
		}},
		{"shared listen with token", doc(`[agent]`, `status_listen = "0.0.0.0:8723"`, `status_token = "t0ken"`), func(c *Config) string {
			return expect(c.Agent.StatusToken, "t0ken")
		}},
		{"retention in days and hours", doc(`[agent]`, `keep_done = " 2d "`, `dedupe_for = "72h"`), func(c *Config) string {
			return expect(fmt.Sprint(c.Agent.KeepDone, " ", c.Agent.DedupeFor), "48h0m0s 72h0m0s")
		}},
		{"dedupe_for equal to keep_done", doc(`[agent]`, `keep_done = "1h"`, `dedupe_for = "60m"`), func(c *Config) string {
			return expect(fmt.Sprint(c.Agent.KeepDone, " ", c.Agent.DedupeFor), "1h0m0s 1h0m0s")
		}},
		{"enums ignore case", doc(`[agent]`, `log_level = "WARN"`, `uncertain = "Hold"`), func(c *Config) string {
			return expect(c.Agent.LogLevel+" "+c.Agent.Uncertain, "warn hold")
		}},
		{"named platforms and explicit durations", doc(youzan, `name = "yz-hq"`, `base_url = "http://127.0.0.1:8080/"`,
			`poll = "5s"`, `overlap = "0s"`, `lookback = "24h"`,
			`[[store]]`, `id = "1"`, `platform = "yz-hq"`), func(c *Config) string {
			p := c.Platforms[0]
			return expect(fmt.Sprint(p.Name, " ", p.BaseURL, " ", p.Poll, " ", p.Overlap, " ", p.Lookback, " ", c.Stores[0].Platform),
				"yz-hq http://127.0.0.1:8080 5s 0s 24h0m0s yz-hq")
		}},
		{"printer profile and case", doc(`[[printer]]`, `name = "厨房"`, `uri = "spool://POS 80 打印机"`, `paper = "TM-T88"`, `encoding = "GB18030"`),
			func(c *Config) string {
				p := c.Printers[0]
				return expect(fmt.Sprint(p.Name, "|", p.URI.Path, "|", p.Paper, "|", p.Encoding), "厨房|POS 80 打印机|tm-t88|gb18030")
			}},
		{"binding for every store, copies and backup", doc(printers2, `[[binding]]`, `store = "*"`, `ticket = "Kitchen"`,
			`printers = ["kitchen"]`, `copies = 9`, `backup = "front"`), func(c *Config) string {
			return expect(fmt.Sprintf("%+v", c.Bindings[0]), "{Store:* Ticket:kitchen Printers:[kitchen] Copies:9 Backup:front Template:}")
		}},
		{"same ticket for a store and for every store", doc(youzan, `[[store]]`, `id = "1"`, printers2,
			`[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front"]`,
			`[[binding]]`, `store = "1"`, `ticket = "receipt"`, `printers = ["kitchen"]`), func(c *Config) string {
			return expect(fmt.Sprint(len(c.Bindings)), "2")
		}},
		{"byte order mark", "\uFEFF" + doc(`[agent]`, `log_level = "debug"`), func(c *Config) string {
			return expect(c.Agent.LogLevel, "debug")
		}},
		{"inline tables and dotted keys", doc(`agent.log_level = "error"`, `printer = [{ name = "a", uri = "file://out/a.bin" }]`),
			func(c *Config) string {
				return expect(c.Agent.LogLevel+" "+c.Printers[0].URI.Path, "error out/a.bin")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg := tt.check(parseOK(t, tt.doc)); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func expect(got, want string) string {
	if got != want {
		return fmt.Sprintf("got %q, want %q", got, want)
	}
	return ""
}

func TestLookups(t *testing.T) {
	c := parseOK(t, doc(youzan, `[[store]]`, `id = "1"`, `name = "人民路店"`, printers2))
	if s, ok := c.StoreByID("1"); !ok || s.Name != "人民路店" {
		t.Errorf("StoreByID(1) = %+v, %v", s, ok)
	}
	if _, ok := c.StoreByID("2"); ok {
		t.Error("StoreByID(2) found a store")
	}
	if p, ok := c.PrinterByName("kitchen"); !ok || p.URI.Host != "10.0.0.9" {
		t.Errorf("PrinterByName(kitchen) = %+v, %v", p, ok)
	}
	if _, ok := c.PrinterByName("bar"); ok {
		t.Error("PrinterByName(bar) found a printer")
	}
}

func TestLoad(t *testing.T) {
	t.Setenv("YOUZAN_CLIENT_SECRET", "from-the-environment")
	c, err := Load("testdata/example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.File != "testdata/example.toml" || c.Platforms[0].ClientSecret != "from-the-environment" {
		t.Errorf("Load: file %q secret %q", c.File, c.Platforms[0].ClientSecret)
	}
	_, err = Load(filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
}

// TestExample loads the sample config shipped in the README and compares the
// result (secrets masked) with a golden file.
func TestExample(t *testing.T) {
	data, err := os.ReadFile("testdata/example.toml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("testdata/example.toml", data, lookup(map[string]string{"YOUZAN_CLIENT_SECRET": "s"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Platforms[0].ClientSecret != "s" {
		t.Fatalf("client_secret = %q", c.Platforms[0].ClientSecret)
	}
	got, err := json.MarshalIndent(c.Redacted(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "example.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("example.toml loads differently from %s (run go test -update after checking):\n%s", golden, got)
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"",
		doc(youzan, `[[store]]`, `id = 1`, printers2, `[[binding]]`, `store = "*"`, `ticket = "receipt"`, `printers = ["front"]`),
		doc(`[agent]`, `status_listen = "0.0.0.0:1"`, `status_token = "env:X"`),
		doc(`printer = [{ name = "a", uri = "serial://COM3?baud=19200" }]`, `[[printer]]`, `"名 字" = 1`),
		doc(`[[a]]`, `[[a.b]]`, `[a.b.c]`, `x = [1, [2, {y = 3}]]`),
		doc(`[agent]`, `log_level = `),
	}
	if data, err := os.ReadFile("testdata/example.toml"); err == nil {
		seeds = append(seeds, string(data))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(filepath.Join(dir, "storeedge.toml"), data, lookup(testEnv))
		if err == nil {
			if c == nil {
				t.Fatal("nil config without error")
			}
			return
		}
		if c != nil {
			t.Fatal("config with error")
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("error %T is not a non-empty Errors: %v", err, err)
		}
		for _, e := range es {
			if e == nil || e.Msg == "" {
				t.Fatalf("empty *Error in %v", err)
			}
			if e.Line < 0 || e.Line > strings.Count(string(data), "\n")+1 {
				t.Fatalf("line %d outside the document: %v", e.Line, e)
			}
		}
	})
}

func TestFieldError(t *testing.T) {
	c, err := Parse("shop.toml", []byte("[[printer]]\nname = \"a\"\nuri = \"file:///x\"\n\n[[printer]]\nname = \"b\"\nuri = \"usb://0416:5011\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := c.FieldError("printer[1].uri", "no %s here", "usb").Error()
	if want := "shop.toml:7: printer[1].uri: no usb here"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := c.FieldError("nowhere", "x").Error(); got != "shop.toml: nowhere: x" {
		t.Fatalf("unknown field: %q", got)
	}
}

func TestPrinterProfilesAndTicketFiles(t *testing.T) {
	src := doc(
		`[[profile]]`,
		`name = "XP-80C"`,
		`dots = 576`,
		`chinese = "gb18030"`,
		`code_page = "cp858"`,
		`chinese_at_boot = true`,
		`image = "column"`,
		`qr = "image"`,
		`cut = "full"`,
		``,
		`[[profile]]`,
		`name = "narrow"`,
		`base = "58mm"`,
		`cols_b = 40`,
		``,
		`[[printer]]`,
		`name = "front"`,
		`uri = "file:///dev/usb/lp0"`,
		`paper = "xp-80c"`,
		`template = "tickets/receipt.tmpl"`,
		`logo = "/srv/logo.png"`,
		``,
		`[[printer]]`,
		`name = "small"`,
		`uri = "file:///x"`,
		`paper = "narrow"`,
		``,
		`[[binding]]`,
		`store = "*"`,
		`ticket = "kitchen"`,
		`printers = ["front"]`,
		`template = "k.tmpl"`,
	)
	c, err := Parse("/etc/storeedge/shop.toml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	xp, ok := c.Profile("XP-80C")
	want := "{Name:xp-80c Dots:576 ColsA:48 ColsB:64 Chinese:gb18030 CodePage:cp858 ChineseAtBoot:true Image:column QR:image Cut:full}"
	if got := fmt.Sprintf("%+v", xp); !ok || got != want {
		t.Errorf("profile = %s, want %s", got, want)
	}
	narrow, _ := c.Profile("narrow")
	if narrow.Dots != 384 || narrow.ColsA != 32 || narrow.ColsB != 40 || narrow.Chinese != "gbk" {
		t.Errorf("narrow = %+v", narrow)
	}
	if p, ok := c.Profile("tm-t88"); !ok || p.Dots != 512 {
		t.Errorf("built-in profile through the config: %+v %v", p, ok)
	}
	front := c.Printers[0]
	if front.Paper != "xp-80c" || front.Template != "/etc/storeedge/tickets/receipt.tmpl" || front.Logo != "/srv/logo.png" {
		t.Errorf("printer = %+v", front)
	}
	if c.Bindings[0].Template != "/etc/storeedge/k.tmpl" || c.Printers[1].Template != "" {
		t.Errorf("binding template %q, printer %q", c.Bindings[0].Template, c.Printers[1].Template)
	}
}

func TestPrinterProfileErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"name missing", doc(`[[profile]]`, `dots = 576`), `storeedge.toml:1: profile[0].name: required key is missing`},
		{"built-in name", doc(`[[profile]]`, `name = "80mm"`), `storeedge.toml:2: profile[0].name: "80mm" is a built-in profile; give this one another name`},
		{"unknown base", doc(`[[profile]]`, `name = "a"`, `base = "76mm"`), `storeedge.toml:3: profile[0].base: "76mm" is not a built-in profile; use one of 58mm, 80mm, tm-t88`},
		{"bad chinese", doc(`[[profile]]`, `name = "a"`, `chinese = "big5"`), `storeedge.toml:3: profile[0].chinese: "big5" is not one of gbk, gb18030, none`},
		{"bad code page", doc(`[[profile]]`, `name = "a"`, `code_page = "cp936"`), `storeedge.toml:3: profile[0].code_page: "cp936" is not one of cp437`},
		{"columns overflow", doc(`[[profile]]`, `name = "a"`, `dots = 384`, `cols_a = 48`), `storeedge.toml:4: profile[0].cols_a: cols_a: 48 columns of 12 dots exceed 384 dots`},
		{"dots not positive", doc(`[[profile]]`, `name = "a"`, `dots = 0`), `storeedge.toml:3: profile[0].dots: 0 is not within 1-65535`},
		{"boot flag type", doc(`[[profile]]`, `name = "a"`, `chinese_at_boot = "yes"`), `storeedge.toml:3: profile[0].chinese_at_boot:`},
		{"qr image without images", doc(`[[profile]]`, `name = "a"`, `image = "none"`, `qr = "image"`), `storeedge.toml:4: profile[0].qr: qr: QR codes sent as images need an image command`},
		{"duplicate", doc(`[[profile]]`, `name = "a"`, `[[profile]]`, `name = "a"`), `storeedge.toml:4: profile[1].name: duplicate profile name "a" (first at line 2)`},
		{"unknown key", doc(`[[profile]]`, `name = "a"`, `width = 80`), `storeedge.toml:3: profile[0].width: unknown key`},
		{"printer names an unknown profile", doc(`[[profile]]`, `name = "xp"`, `[[printer]]`, `name = "a"`, `uri = "file:///x"`, `paper = "xq"`),
			`storeedge.toml:6: printer[0].paper: "xq" is not a known paper or printer profile; use one of xp, 58mm, 80mm, tm-t88`},
		{"empty template", doc(`[[printer]]`, `name = "a"`, `uri = "file:///x"`, `template = ""`), `storeedge.toml:4: printer[0].template: must not be empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("storeedge.toml", []byte(tt.doc), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
}
