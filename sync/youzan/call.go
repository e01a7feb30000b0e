package youzan

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
)

var apiNameRE = regexp.MustCompile(`^youzan(\.[a-z0-9_]+)+$`)

// Mode is the shop's mode: ModeMultiOutlet or ModeChain.
func (c *Client) Mode() string { return c.cfg.Mode }

// Name is the platform's config name.
func (c *Client) Name() string { return c.cfg.Name }

// Call calls one API of the platform, api its full name (like
// "youzan.multistore.goods.sku.update") and version its version ("3.0.0"),
// with the token of the shop (grant_id), renewed and the call made again
// once when the gateway refuses it. params is sent as the JSON body; the
// data of a success answer is decoded into result unless result is nil.
// Failures come back as *APIError.
func (c *Client) Call(ctx context.Context, api, version string, params, result any) error {
	if !apiNameRE.MatchString(api) {
		return &APIError{API: api, Err: fmt.Errorf("%q is not an API name like youzan.trades.sold.get", api)}
	}
	if !versionRE.MatchString(version) {
		return &APIError{API: api, Err: fmt.Errorf("version %q is not a version like 3.0.0", version)}
	}
	data, err := call(ctx, c, c.cfg.GrantID, api, api, version, params, func(status int, body []byte) (*json.RawMessage, error) {
		return decodeAnswer[json.RawMessage](api, status, body)
	})
	if err != nil {
		return err
	}
	if result == nil {
		return nil
	}
	if err := unmarshal(*data, result); err != nil {
		return &APIError{API: api, Err: fmt.Errorf("data: %w", err)}
	}
	return nil
}
