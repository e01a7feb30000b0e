package youzan

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Platform codes the client acts on.
const (
	CodeOK             = 200
	CodeBadPath        = 4001
	CodeBadJSON        = 4004
	CodeUnknownAPI     = 4005
	CodeRefused        = 4007 // method, content type or IP whitelist
	CodeThrottled      = 4101
	CodeTokenMissing   = 4201
	CodeTokenExpired   = 4202
	CodeTokenUnknown   = 4203
	CodeNoPermission   = 4204
	CodeSystemError    = 5001 // usually a parameter of the wrong type or format
	CodeBadSecret      = 1000 // also a token request that is not JSON
	CodeAuthExpired    = 1004
	CodeBadAuthCode    = 1005
	CodeNoClient       = 1103
	CodeWrongAppType   = 1105
	CodeEndTooFar      = 106000003 // end time more than 7 days ahead
	CodeRequestLimited = 500100004 // throttled, answered as {"code","msg"}
	CodeRateLimited    = 123000042 // throttled
)

const (
	apiToken           = "auth.token"
	apiTradesSoldGet   = "trades.sold.get"
	fullTradesSoldGet  = "youzan.trades.sold.get"
	maxErrorBodySample = 64
)

// codeWords says what each known code means, in plain words.
var codeWords = map[int]string{
	CodeBadPath:        "bad API path or missing version",
	CodeBadJSON:        "request body is not valid JSON",
	CodeUnknownAPI:     "unknown API or version",
	CodeRefused:        "method, content type or IP address refused",
	CodeThrottled:      "throttled",
	CodeTokenMissing:   "token missing or not accepted",
	CodeTokenExpired:   "token expired",
	CodeTokenUnknown:   "token unknown",
	CodeNoPermission:   "the app has no permission for this API",
	CodeSystemError:    "system error, usually a parameter of the wrong type or format",
	CodeBadSecret:      "client secret or request format rejected",
	CodeAuthExpired:    "authorization expired",
	CodeBadAuthCode:    "authorization code rejected",
	CodeNoClient:       "client does not exist, has no grant for this shop, or is another app",
	CodeWrongAppType:   "wrong app type",
	CodeEndTooFar:      "end time is more than 7 days in the future",
	CodeRequestLimited: "throttled",
	CodeRateLimited:    "throttled",
}

// withMessage lists the codes whose platform message tells more than the code.
var withMessage = map[int]bool{CodeNoClient: true}

// APIError is a failed call to the platform: an error answer (gateway or
// business), an HTTP status other than 200, or a transport or decoding
// failure (Err set, Code 0). It never holds the client secret or the token.
type APIError struct {
	API        string // "trades.sold.get", "auth.token"
	Code       int    // the platform's code; 0 when no platform answer was read
	Message    string // the platform's own message, as sent
	HTTPStatus int    // the HTTP status when it was not 200
	Throttled  bool   // the platform asked to slow down
	Auth       bool   // the credentials or the token were refused
	Err        error  // the transport or decoding failure, if that is what happened
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("youzan ")
	b.WriteString(e.API)
	b.WriteString(": ")
	switch {
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	case e.Code != 0:
		words, known := codeWords[e.Code]
		msg := strings.TrimSpace(e.Message)
		switch {
		case known && msg != "" && withMessage[e.Code]:
			fmt.Fprintf(&b, "%s (%d): %s", words, e.Code, msg)
		case known:
			fmt.Fprintf(&b, "%s (%d)", words, e.Code)
		case msg != "":
			fmt.Fprintf(&b, "%s (%d)", msg, e.Code)
		default:
			fmt.Fprintf(&b, "platform error (%d)", e.Code)
		}
		if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
			fmt.Fprintf(&b, ", HTTP %d", e.HTTPStatus)
		}
	case e.HTTPStatus != 0:
		fmt.Fprintf(&b, "HTTP %d %s", e.HTTPStatus, http.StatusText(e.HTTPStatus))
	default:
		b.WriteString("unknown failure")
	}
	return b.String()
}

// Unwrap returns the transport or decoding failure, if any.
func (e *APIError) Unwrap() error { return e.Err }

// Temporary reports whether the same call may succeed later: throttling,
// HTTP 5xx and 429, timeouts, network failures and unreadable (cut short)
// answers. Refused credentials, bad parameters and a cancelled context are
// not temporary.
func (e *APIError) Temporary() bool {
	switch {
	case e.Throttled:
		return true
	case e.Err != nil:
		return !errors.Is(e.Err, context.Canceled)
	case e.HTTPStatus >= 500, e.HTTPStatus == http.StatusTooManyRequests:
		return true
	}
	return false
}

// IsThrottled reports whether the platform asked the app to slow down
// (4101, 500100004, 123000042): the caller should wait 3 s, 6 s, 12 s ...
// before calling again.
func (e *APIError) IsThrottled() bool { return e.Throttled }

// tokenRefused reports whether the gateway refused the token itself, so that
// a fresh token may succeed.
func (e *APIError) tokenRefused() bool {
	switch e.Code {
	case CodeTokenMissing, CodeTokenExpired, CodeTokenUnknown:
		return e.API != apiToken
	}
	return false
}

// newCodeError builds the APIError for a platform code.
func newCodeError(api string, code int64, msg string, status int) *APIError {
	e := &APIError{API: api, Code: int(code), Message: msg}
	if status != http.StatusOK {
		e.HTTPStatus = status
	}
	switch code {
	case CodeThrottled, CodeRequestLimited, CodeRateLimited:
		e.Throttled = true
	case CodeTokenMissing, CodeTokenExpired, CodeTokenUnknown, CodeNoPermission:
		e.Auth = true
	case CodeBadSecret, CodeAuthExpired, CodeBadAuthCode, CodeNoClient, CodeWrongAppType:
		e.Auth = api == apiToken
	}
	return e
}

// sample returns the start of a body that is not JSON at all, for an error
// message. JSON bodies are never quoted: a cut-short token answer could
// carry the token.
func sample(body []byte) string {
	t := strings.TrimSpace(string(body))
	if t == "" || t[0] == '{' || t[0] == '[' {
		return ""
	}
	if len(t) > maxErrorBodySample {
		t = t[:maxErrorBodySample]
		for len(t) > 0 && !utf8.ValidString(t) {
			t = t[:len(t)-1]
		}
		t += "..."
	}
	return strconv.Quote(t)
}
