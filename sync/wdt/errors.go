package wdt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Platform codes the client knows.
const (
	CodeOK             = 0
	CodeShopOrKey      = 1007 // shop id does not exist or appkey disabled
	CodeSystemBusy     = 1020 // 系统异常，请稍后再试
	CodeArrears        = 1060 // balance zero, account in arrears
	CodeKeyDisabled    = 2090
	CodeSpanTooLarge   = 2104
	CodeSpanTooLarge2  = 2180
	CodeBadTime        = 2160
	CodeBadPageSize    = 2220
	CodeShopMissing    = 2310
	CodeBadValue       = 2830
	CodeMissingParam   = 2900
	CodeDuplicateOuter = 21000006
	CodeGoodsNotFound  = 21000024
)

// codeTable is the one place where the platform's codes get plain words and
// a verdict: retry later (temporary) or fix the configuration (auth).
var codeTable = map[int64]struct {
	words     string
	temporary bool
	auth      bool
}{
	CodeShopOrKey:      {words: "seller account (sid) unknown or appkey disabled", auth: true},
	1012:               {words: "platform busy", temporary: true},
	1013:               {words: "platform busy", temporary: true},
	CodeSystemBusy:     {words: "platform system error, retry later", temporary: true},
	1030:               {words: "platform busy", temporary: true},
	1040:               {words: "platform busy", temporary: true},
	CodeArrears:        {words: "the Wangdiantong account is in arrears", auth: true},
	1200:               {words: "platform busy", temporary: true},
	1610:               {words: "platform busy", temporary: true},
	CodeKeyDisabled:    {words: "appkey disabled", auth: true},
	CodeSpanTooLarge:   {words: "time span too large"},
	CodeSpanTooLarge2:  {words: "time span too large; lower max_span"},
	CodeBadTime:        {words: "bad time format"},
	CodeBadPageSize:    {words: "bad page_size"},
	CodeShopMissing:    {words: "shop missing or disabled; check shop_no"},
	CodeBadValue:       {words: "invalid parameter value"},
	CodeMissingParam:   {words: "required parameter missing"},
	CodeDuplicateOuter: {words: "duplicate api_outer_no"},
	CodeGoodsNotFound:  {words: "goods not found"},
}

// APIError is a failed call: an answer with a code other than 0, an HTTP
// status other than 200, or a transport or decoding failure (Err set). It
// never holds the app secret.
type APIError struct {
	API        string // "trade_query.php"
	Code       int64
	Message    string // the platform's own message
	HTTPStatus int
	Err        error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wangdiantong %s: ", e.API)
	switch {
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	case e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK:
		fmt.Fprintf(&b, "HTTP %d %s", e.HTTPStatus, http.StatusText(e.HTTPStatus))
	default:
		words := codeTable[e.Code].words
		msg := strings.TrimSpace(e.Message)
		switch {
		case words != "" && msg != "":
			fmt.Fprintf(&b, "%s (%d): %s", words, e.Code, msg)
		case words != "":
			fmt.Fprintf(&b, "%s (%d)", words, e.Code)
		case msg != "":
			fmt.Fprintf(&b, "%s (%d)", msg, e.Code)
		default:
			fmt.Fprintf(&b, "platform error (%d)", e.Code)
		}
	}
	return b.String()
}

// Unwrap returns the transport or decoding failure.
func (e *APIError) Unwrap() error { return e.Err }

// Temporary reports whether the same call may succeed later.
func (e *APIError) Temporary() bool {
	switch {
	case e.Err != nil:
		return !errors.Is(e.Err, context.Canceled)
	case e.HTTPStatus >= 500, e.HTTPStatus == http.StatusTooManyRequests:
		return true
	}
	return codeTable[e.Code].temporary
}

// Auth reports whether the credentials or the account were refused.
func (e *APIError) Auth() bool { return e.HTTPStatus == 0 && e.Err == nil && codeTable[e.Code].auth }

// ClockError says the PC's clock is off from the platform's by more than
// the platform tolerates (5 minutes either way): requests are refused until
// the clock is set right.
type ClockError struct {
	Skew time.Duration // platform clock minus PC clock
}

func (e *ClockError) Error() string {
	d := e.Skew.Round(time.Second)
	dir := "behind"
	if d < 0 {
		d, dir = -d, "ahead of"
	}
	return fmt.Sprintf("wangdiantong: this PC's clock is %s %s the platform's; the platform refuses requests more than %s off: set the PC's date and time (or turn on automatic time sync)",
		d, dir, Tolerance)
}
