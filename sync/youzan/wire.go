package youzan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"

	"storeedge/decimal"
)

// The JSON shapes of the Youzan Cloud gateway, as sent and received on the wire.
// Field names follow the platform. Numbers that the platform documents as
// Long are read into Long and money into Money, both of which keep the text as
// sent, so that a field written as a string or as a number reads the same and
// a bad value is reported by Normalize with the order id and field name
// instead of failing the whole page.

// Long is a JSON integer kept as its decimal text. It reads a JSON number or a
// JSON string; null reads as "". It writes a JSON number when the text is an
// integer in canonical form and a JSON string otherwise.
type Long string

// UnmarshalJSON implements json.Unmarshaler.
func (l *Long) UnmarshalJSON(b []byte) error {
	s, err := scalarText(b, reflect.TypeFor[Long]())
	if err != nil {
		return err
	}
	*l = Long(s)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (l Long) MarshalJSON() ([]byte, error) {
	if l == "" {
		return []byte("null"), nil
	}
	if n, err := strconv.ParseInt(string(l), 10, 64); err == nil && strconv.FormatInt(n, 10) == string(l) {
		return []byte(l), nil
	}
	return json.Marshal(string(l))
}

// Int64 returns the value, or an error saying what is wrong with the text.
func (l Long) Int64() (int64, error) {
	if l == "" {
		return 0, errors.New("is missing")
	}
	n, err := strconv.ParseInt(string(l), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", string(l))
	}
	return n, nil
}

// Money is an amount in yuan kept as its text ("18.00"). It reads a JSON
// string or a JSON number (never through float64); null reads as "". It
// writes a JSON string.
type Money string

// UnmarshalJSON implements json.Unmarshaler.
func (m *Money) UnmarshalJSON(b []byte) error {
	s, err := scalarText(b, reflect.TypeFor[Money]())
	if err != nil {
		return err
	}
	*m = Money(s)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (m Money) MarshalJSON() ([]byte, error) { return json.Marshal(string(m)) }

// Dec returns the exact amount, or an error saying what is wrong with the text.
func (m Money) Dec() (decimal.Dec, error) {
	if m == "" {
		return decimal.Zero, errors.New("is missing")
	}
	d, err := decimal.Parse(string(m))
	if err != nil {
		return decimal.Zero, fmt.Errorf("%q is not an amount in yuan: %w", string(m), err)
	}
	return d, nil
}

// scalarText returns the text of a JSON string or number. Anything else is
// a *json.UnmarshalTypeError, which encoding/json completes with the path of
// the field.
func scalarText(b []byte, t reflect.Type) (string, error) {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		return "", nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", err
		}
		return strings.TrimSpace(s), nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		return string(b), nil
	}
	kind := "value"
	if len(b) > 0 {
		switch b[0] {
		case '{':
			kind = "object"
		case '[':
			kind = "array"
		case 't', 'f':
			kind = "bool"
		}
	}
	return "", &json.UnmarshalTypeError{Value: kind, Type: t}
}

// Every answer is HTTP 200 with one of these bodies: a success
// {"success":true,"code":200,"message":...,"data":{...}}; a business error
// {"success":false,"code":n,"message":...}; a gateway error
// {"gw_err_resp":{...}}; or, when throttled, {"code":n,"msg":...}.

// GatewayError is the body of gw_err_resp.
type GatewayError struct {
	ErrCode int64  `json:"err_code"`
	ErrMsg  string `json:"err_msg"`
	TraceID string `json:"trace_id,omitempty"`
}

// TokenRequest is the body of POST /auth/token for a self-built app.
type TokenRequest struct {
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	AuthorizeType string `json:"authorize_type"`
	GrantID       string `json:"grant_id"`
	Refresh       bool   `json:"refresh"`
}

// LogValue keeps the client secret out of logs.
func (r TokenRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("client_id", r.ClientID),
		slog.String("authorize_type", r.AuthorizeType),
		slog.String("grant_id", r.GrantID),
		slog.Bool("refresh", r.Refresh),
	)
}

// TokenData is the data of a successful /auth/token answer. Expires is the
// absolute expiry in Unix milliseconds.
type TokenData struct {
	Expires     int64  `json:"expires"`
	Scope       string `json:"scope,omitempty"`
	AccessToken string `json:"access_token"`
	AuthorityID Long   `json:"authority_id,omitempty"`
}

// LogValue keeps the token out of logs.
func (t TokenData) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("expires", t.Expires), slog.String("authority_id", string(t.AuthorityID)))
}

// TradesSoldGetParams is the body of youzan.trades.sold.get. Times are
// "yyyy-MM-dd HH:mm:ss" in China Standard Time.
type TradesSoldGetParams struct {
	StartCreated string `json:"start_created,omitempty"`
	EndCreated   string `json:"end_created,omitempty"`
	StartUpdate  string `json:"start_update,omitempty"`
	EndUpdate    string `json:"end_update,omitempty"`
	Status       string `json:"status,omitempty"`
	TID          string `json:"tid,omitempty"`
	OfflineID    Long   `json:"offline_id,omitempty"`
	PageNo       int64  `json:"page_no,omitempty"`
	PageSize     int64  `json:"page_size,omitempty"`
}

// TradesSoldGetData is the data of a youzan.trades.sold.get answer.
type TradesSoldGetData struct {
	TotalResults      int64        `json:"total_results"`
	FullOrderInfoList []TradeEntry `json:"full_order_info_list"`
}

// TradeEntry is one element of full_order_info_list.
type TradeEntry struct {
	FullOrderInfo FullOrderInfo `json:"full_order_info"`
}

// FullOrderInfo is one order with everything the list returns about it.
type FullOrderInfo struct {
	OrderInfo   OrderInfo   `json:"order_info"`
	BuyerInfo   BuyerInfo   `json:"buyer_info"`
	PayInfo     PayInfo     `json:"pay_info"`
	AddressInfo AddressInfo `json:"address_info"`
	RemarkInfo  RemarkInfo  `json:"remark_info"`
	Orders      []OrderLine `json:"orders"`
}

// OrderInfo is the order's head.
type OrderInfo struct {
	TID         string     `json:"tid"`
	Status      string     `json:"status"`
	StatusStr   string     `json:"status_str,omitempty"`
	Type        Long       `json:"type,omitempty"`
	PayType     Long       `json:"pay_type,omitempty"`
	PayTypeStr  string     `json:"pay_type_str,omitempty"`
	CloseType   Long       `json:"close_type,omitempty"`
	ExpressType Long       `json:"express_type"`
	RefundState Long       `json:"refund_state,omitempty"`
	Created     string     `json:"created"`
	UpdateTime  string     `json:"update_time"`
	PayTime     string     `json:"pay_time,omitempty"`
	ExpiredTime string     `json:"expired_time,omitempty"`
	ConsignTime string     `json:"consign_time,omitempty"`
	SuccessTime string     `json:"success_time,omitempty"`
	OfflineID   Long       `json:"offline_id,omitempty"`
	NodeKdtID   Long       `json:"node_kdt_id,omitempty"`
	OrderTags   *OrderTags `json:"order_tags,omitempty"`
}

// OrderTags are the order's flags.
type OrderTags struct {
	IsMultiStore   bool `json:"is_multi_store,omitempty"`
	IsOfflineOrder bool `json:"is_offline_order,omitempty"`
	IsVirtual      bool `json:"is_virtual,omitempty"`
	IsPayed        bool `json:"is_payed,omitempty"`
	IsRefund       bool `json:"is_refund,omitempty"`
	IsPreorder     bool `json:"is_preorder,omitempty"`
}

// BuyerInfo identifies the buyer.
type BuyerInfo struct {
	YzOpenID     string `json:"yz_open_id,omitempty"`
	BuyerPhone   string `json:"buyer_phone,omitempty"`
	FansNickname string `json:"fans_nickname,omitempty"`
}

// PayInfo holds the order's money. TotalFee is the goods before discounts,
// PostFee the delivery fee, Payment what the buyer paid (the lines' payment
// plus PostFee).
type PayInfo struct {
	TotalFee    Money    `json:"total_fee"`
	PostFee     Money    `json:"post_fee"`
	Payment     Money    `json:"payment"`
	Transaction []string `json:"transaction,omitempty"`
}

// AddressInfo is the receiver and, for deliveries, the address.
type AddressInfo struct {
	ReceiverName       string `json:"receiver_name,omitempty"`
	ReceiverTel        string `json:"receiver_tel,omitempty"`
	DeliveryProvince   string `json:"delivery_province,omitempty"`
	DeliveryCity       string `json:"delivery_city,omitempty"`
	DeliveryDistrict   string `json:"delivery_district,omitempty"`
	DeliveryAddress    string `json:"delivery_address,omitempty"`
	DeliveryPostalCode string `json:"delivery_postal_code,omitempty"`
	AddressExtra       string `json:"address_extra,omitempty"`
	SelfFetchInfo      string `json:"self_fetch_info,omitempty"`
	DeliveryStartTime  string `json:"delivery_start_time,omitempty"`
	DeliveryEndTime    string `json:"delivery_end_time,omitempty"`
}

// RemarkInfo holds the buyer's message and the seller's memo.
type RemarkInfo struct {
	BuyerMessage string `json:"buyer_message"`
	TradeMemo    string `json:"trade_memo"`
	Star         Long   `json:"star,omitempty"`
}

// OrderLine is one element of orders[]: one line of the order.
// SkuPropertiesName is either plain text or a JSON array of {"k","v"} pairs.
type OrderLine struct {
	OID               Long   `json:"oid,omitempty"`
	ItemID            Long   `json:"item_id,omitempty"`
	SkuID             Long   `json:"sku_id,omitempty"`
	OuterItemID       string `json:"outer_item_id,omitempty"`
	OuterSkuID        string `json:"outer_sku_id,omitempty"`
	Title             string `json:"title"`
	Num               Long   `json:"num"`
	Price             Money  `json:"price"`
	DiscountPrice     Money  `json:"discount_price,omitempty"`
	TotalFee          Money  `json:"total_fee,omitempty"`
	Payment           Money  `json:"payment"`
	SkuPropertiesName string `json:"sku_properties_name,omitempty"`
	BuyerMessages     string `json:"buyer_messages,omitempty"`
	IsPresent         bool   `json:"is_present,omitempty"`
}

// SkuProperty is one element of a JSON sku_properties_name.
type SkuProperty struct {
	K   string `json:"k"`
	KID Long   `json:"k_id,omitempty"`
	V   string `json:"v"`
	VID Long   `json:"v_id,omitempty"`
}

// Flag is a JSON flag the platform writes as a bool, a number (0 or 1) or a
// string ("true", "1"); null reads as unset.
type Flag string

// UnmarshalJSON implements json.Unmarshaler.
func (f *Flag) UnmarshalJSON(b []byte) error {
	switch t := string(bytes.TrimSpace(b)); t {
	case "true", "false":
		*f = Flag(t)
		return nil
	}
	s, err := scalarText(b, reflect.TypeFor[Flag]())
	if err != nil {
		return err
	}
	*f = Flag(s)
	return nil
}

// True reports whether the flag is set.
func (f Flag) True() bool {
	switch strings.ToLower(string(f)) {
	case "true", "1":
		return true
	}
	return false
}

// OfflineSearchParams is the body of youzan.multistore.offline.search 3.0.0.
// Type is "store" or "self_fetch"; empty lists both.
type OfflineSearchParams struct {
	Keyword  string `json:"keyword,omitempty"`
	PageNo   int64  `json:"page_no,omitempty"`
	PageSize int64  `json:"page_size,omitempty"`
	Type     string `json:"type,omitempty"`
}

// OfflineSearchData is the data of a youzan.multistore.offline.search answer.
type OfflineSearchData struct {
	List  []Outlet `json:"list"`
	Count int64    `json:"count"`
}

// Outlet is one 网点 of a multi-outlet shop. ID is its offline_id.
type Outlet struct {
	ID            Long   `json:"id"`
	Name          string `json:"name"`
	KdtID         Long   `json:"kdt_id,omitempty"`
	IsStore       Flag   `json:"is_store,omitempty"`
	IsSelfFetch   Flag   `json:"is_self_fetch,omitempty"`
	Province      string `json:"province,omitempty"`
	City          string `json:"city,omitempty"`
	Area          string `json:"area,omitempty"`
	Address       string `json:"address,omitempty"`
	Phone1        string `json:"phone1,omitempty"`
	Phone2        string `json:"phone2,omitempty"`
	BusinessHours string `json:"business_hours,omitempty"`
}

// ChainOrgListParams is the body of
// youzan.shop.chain.descendent.organization.list 1.0.1: pages from 1, at
// most 50 rows a page.
type ChainOrgListParams struct {
	PageNum  int64 `json:"page_num"`
	PageSize int64 `json:"page_size"`
}

// ChainOrgListData is the data of a
// youzan.shop.chain.descendent.organization.list answer.
type ChainOrgListData struct {
	Total            int64          `json:"total"`
	PageNum          int64          `json:"page_num,omitempty"`
	PageSize         int64          `json:"page_size,omitempty"`
	OrganizationList []Organization `json:"organization_list"`
}

// Organization is one organisation (a branch) under a chain's HQ. Role is
// 2001 store, 2002 online shop, 3 warehouse, 4 partner, 6 supplier, 7
// front warehouse; JoinType 1 directly run, 2 franchise; the business
// statuses are 2 open, 3 closed.
type Organization struct {
	KdtID                 Long         `json:"kdt_id"`
	Name                  string       `json:"name"`
	Role                  Long         `json:"role,omitempty"`
	JoinType              Long         `json:"join_type,omitempty"`
	ParentKdtID           Long         `json:"parent_kdt_id,omitempty"`
	ShopAddress           *ShopAddress `json:"shop_address,omitempty"`
	OuterID               string       `json:"outer_id,omitempty"`
	AccessStatus          Long         `json:"access_status,omitempty"`
	OfflineBusinessStatus Long         `json:"offline_business_status,omitempty"`
}

// ShopAddress is a chain organisation's address.
type ShopAddress struct {
	Province string `json:"province,omitempty"`
	City     string `json:"city,omitempty"`
	County   string `json:"county,omitempty"`
	CountyID Long   `json:"county_id,omitempty"`
	Address  string `json:"address,omitempty"`
}
