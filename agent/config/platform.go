package config

import (
	"time"
)

// Youzan modes and the Wangdiantong window limits.
const (
	ModeMultiOutlet   = "multi_outlet"
	ModeChain         = "chain"
	DefaultWDTMaxSpan = time.Hour
	MaxWDTMaxSpan     = 72 * time.Hour
)

// typeKeys lists the keys that only one platform type takes.
var typeKeys = map[string]string{
	"mode": "youzan", "push_listen": "youzan", "client_id": "youzan", "client_secret": "youzan", "grant_id": "youzan",
	"sid": "wdt", "appkey": "wdt", "appsecret": "wdt", "max_span": "wdt",
}

// platformExtra decodes the keys of one platform type: Youzan mode and
// push, Wangdiantong account and window span.
func (d *decoder) platformExtra(t *table, p *Platform) {
	for _, k := range []string{"mode", "push_listen", "client_id", "client_secret", "grant_id", "sid", "appkey", "appsecret", "max_span"} {
		if want := typeKeys[k]; t.has(k) && p.Type != "" && platformTypes[p.Type].baseURL != "" && p.Type != want {
			t.errorf(k, "only %q platforms take %s; this one is %q", want, k, p.Type)
		}
	}
	if p.Type == "youzan" {
		p.Mode = t.enum("mode", ModeMultiOutlet, ModeMultiOutlet, ModeChain)
		if s, ok := t.nonEmpty("push_listen"); ok {
			if _, ok := checkListen(s); !ok {
				t.errorf("push_listen", "%q is not a host:port address", s)
			} else {
				p.PushListen = s
			}
		}
	}
	if p.Type != "wdt" {
		return
	}
	p.MaxSpan = DefaultWDTMaxSpan
	if s, ok := t.nonEmpty("sid"); ok {
		p.SID = s
	}
	if s, ok := t.nonEmpty("appkey"); ok {
		p.AppKey = s
	}
	if s, ok := t.secret("appsecret"); ok {
		p.AppSecret = s
	}
	if v, ok := t.duration("max_span"); ok {
		if v < time.Minute || v > MaxWDTMaxSpan {
			t.errorf("max_span", "%s is outside 1m to %s (60m for the classic API, 72h for the newer one)", v, MaxWDTMaxSpan)
		} else {
			p.MaxSpan = v
		}
	}
}
