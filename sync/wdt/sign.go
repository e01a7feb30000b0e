package wdt

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Pack is the text Wangdiantong signs: every parameter but sign, keys in
// byte-wise ascending order, each written as
// "<len(key) in 2 digits>-<key>:<len(value) in 4 digits>-<value>" and joined
// with ";". Lengths count Unicode characters, not bytes, as the platform's
// own PHP client does (iconv_strlen), so Chinese shop numbers and JSON
// values with Chinese names sign the same as on the platform.
func Pack(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(';')
		}
		v := params[k]
		fmt.Fprintf(&b, "%02d-%s:%04d-%s", utf8.RuneCountInString(k), k, utf8.RuneCountInString(v), v)
	}
	return b.String()
}

// Sign is the request signature: lower-case hex MD5 of Pack(params)
// followed by the app secret.
func Sign(params map[string]string, appSecret string) string {
	sum := md5.Sum([]byte(Pack(params) + appSecret))
	return hex.EncodeToString(sum[:])
}
