package youzan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// DecodeTrades reads one youzan.trades.sold.get answer. An error answer from
// the gateway or the API comes back as an *APIError with its code; an answer
// that is cut short, is not JSON, has trailing data or lacks its data comes
// back as an *APIError whose Err says what is wrong.
func DecodeTrades(body []byte) (*TradesSoldGetData, error) {
	return decodeTrades(http.StatusOK, body)
}

// decodeRawTrades reads one youzan.trades.sold.get answer with its orders
// left as JSON elements, as the client reads it (see collector.add).
func decodeRawTrades(status int, body []byte) (*rawTrades, error) {
	d, err := decodeAnswer[rawTrades](apiTradesSoldGet, status, body)
	if err != nil {
		return nil, err
	}
	if d.TotalResults < 0 {
		return nil, &APIError{API: apiTradesSoldGet, Err: fmt.Errorf("data.total_results is negative (%d)", d.TotalResults)}
	}
	return d, nil
}

// decodeTrades is decodeRawTrades with every order decoded, the way the
// client decodes each.
func decodeTrades(status int, body []byte) (*TradesSoldGetData, error) {
	raw, err := decodeRawTrades(status, body)
	if err != nil {
		return nil, err
	}
	d := &TradesSoldGetData{TotalResults: raw.TotalResults}
	for i, el := range raw.List {
		e, err := decodeEntry(i, el)
		if err != nil {
			return nil, &APIError{API: apiTradesSoldGet, Err: err}
		}
		d.FullOrderInfoList = append(d.FullOrderInfoList, e)
	}
	return d, nil
}

// decodeToken reads one /auth/token answer.
func decodeToken(status int, body []byte) (*TokenData, error) {
	t, err := decodeAnswer[TokenData](apiToken, status, body)
	if err != nil {
		return nil, err
	}
	switch {
	case t.AccessToken == "":
		return nil, &APIError{API: apiToken, Err: errors.New("data.access_token is empty")}
	case t.Expires <= 0:
		return nil, &APIError{API: apiToken, Err: fmt.Errorf("data.expires is not a time in milliseconds (%d)", t.Expires)}
	}
	return t, nil
}

// answer is Response with its data decoded in the same pass.
type answer[T any] struct {
	Success   *bool         `json:"success"`
	Code      *int64        `json:"code"`
	Message   string        `json:"message"`
	Msg       string        `json:"msg"`
	GwErrResp *GatewayError `json:"gw_err_resp"`
	Data      *T            `json:"data"`
}

// decodeAnswer reads any answer and returns the data of a success or an
// *APIError.
func decodeAnswer[T any](api string, status int, body []byte) (*T, error) {
	var r answer[T]
	err := unmarshal(body, &r)
	var te *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &te) {
		if status != http.StatusOK {
			// An HTML error page from a proxy or load balancer.
			return nil, &APIError{API: api, HTTPStatus: status}
		}
		return nil, &APIError{API: api, Err: err}
	}
	// A field of the wrong type leaves the rest decoded: an error answer is
	// still told apart from a success with bad data.
	if g := r.GwErrResp; g != nil {
		return nil, newCodeError(api, g.ErrCode, g.ErrMsg, status)
	}
	if r.Success == nil || !*r.Success || (r.Code != nil && *r.Code != CodeOK) {
		if r.Code == nil {
			if status != http.StatusOK {
				return nil, &APIError{API: api, HTTPStatus: status}
			}
			if err != nil {
				return nil, &APIError{API: api, Err: err}
			}
			return nil, &APIError{API: api, Err: errors.New("answer has neither success nor an error code")}
		}
		msg := r.Message
		if msg == "" {
			msg = r.Msg
		}
		return nil, newCodeError(api, *r.Code, msg, status)
	}
	switch {
	case status != http.StatusOK:
		return nil, &APIError{API: api, HTTPStatus: status}
	case err != nil:
		return nil, &APIError{API: api, Err: err}
	case r.Data == nil:
		return nil, &APIError{API: api, Err: errors.New("success answer without data")}
	}
	return r.Data, nil
}

// unmarshal is json.Unmarshal with errors that say what is wrong in plain
// words: an empty or cut-short body, bad JSON at which byte, a field of the
// wrong type.
func unmarshal(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("answer is empty")
	}
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && se.Offset >= int64(len(b)):
		return fmt.Errorf("answer is cut short after %d bytes: %w", len(b), err)
	case errors.As(err, &se):
		if s := sample(b); s != "" {
			return fmt.Errorf("answer is not JSON: %s", s)
		}
		return fmt.Errorf("answer is not valid JSON at byte %d: %w", se.Offset, err)
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("field %s: JSON %s where %s was expected", te.Field, te.Value, te.Type)
	case errors.As(err, &te):
		return fmt.Errorf("JSON %s where %s was expected", te.Value, te.Type)
	}
	return fmt.Errorf("answer is not valid: %w", err)
}
