package wdt

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// The JSON shapes of the Wangdiantong open API. The platform writes most
// numbers as strings ("2.0000") and some as numbers; Text reads either and
// keeps the text, so that a bad value is reported by Normalize with the
// order number and field name instead of failing the whole page.

// Text is a JSON string or number kept as its text; null reads as "".
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*t = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
		return nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*t = Text(b)
		return nil
	}
	return &json.UnmarshalTypeError{Value: "non-scalar", Type: typeText}
}

// MarshalJSON writes a string.
func (t Text) MarshalJSON() ([]byte, error) { return json.Marshal(string(t)) }

var typeText = reflect.TypeFor[Text]()

// Int returns the value as an integer, accepting "95" and "95.0000": only
// text that is exactly a whole number (no float rounding: "1e-400" and
// "1.0000000000000001" are not).
func (t Text) Int() (int64, bool) {
	s := string(t)
	if whole, frac, ok := strings.Cut(s, "."); ok && strings.Trim(frac, "0") == "" {
		s = whole
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// envelope is what every answer carries: code 0 is success.
type envelope struct {
	Code    *Text  `json:"code"`
	Message string `json:"message"`
}

// TradeQueryAnswer is the answer of trade_query.php. TotalCount is only
// filled on page 0.
type TradeQueryAnswer struct {
	Code       Text    `json:"code"`
	Message    string  `json:"message"`
	TotalCount Text    `json:"total_count"`
	Trades     []Trade `json:"trades"`
}

// Trade is one system order (trade) of trade_query.php.
type Trade struct {
	TradeID         Text    `json:"trade_id"`
	TradeNo         string  `json:"trade_no"`
	TradeStatus     Text    `json:"trade_status"`
	RefundStatus    Text    `json:"refund_status"`
	ShopID          Text    `json:"shop_id"`
	ShopNo          string  `json:"shop_no"`
	ShopName        string  `json:"shop_name"`
	PlatformID      Text    `json:"platform_id"`
	WarehouseNo     string  `json:"warehouse_no"`
	SrcTids         string  `json:"src_tids"`
	TradeFrom       Text    `json:"trade_from"`
	TradeTime       string  `json:"trade_time"`
	PayTime         string  `json:"pay_time"`
	Modified        string  `json:"modified"`
	ReceiverName    string  `json:"receiver_name"`
	ReceiverMobile  string  `json:"receiver_mobile"`
	ReceiverArea    string  `json:"receiver_area"`
	ReceiverAddress string  `json:"receiver_address"`
	BuyerMessage    string  `json:"buyer_message"`
	CsRemark        string  `json:"cs_remark"`
	GoodsAmount     Text    `json:"goods_amount"`
	PostAmount      Text    `json:"post_amount"`
	Discount        Text    `json:"discount"`
	Paid            Text    `json:"paid"`
	Receivable      Text    `json:"receivable"`
	GoodsCount      Text    `json:"goods_count"`
	LogisticsName   string  `json:"logistics_name"`
	LogisticsNo     string  `json:"logistics_no"`
	GoodsList       []Goods `json:"goods_list"`
}

// Goods is one line of a trade.
type Goods struct {
	RecID        Text   `json:"rec_id"`
	SrcOid       string `json:"src_oid"`
	SrcTid       string `json:"src_tid"`
	GoodsNo      string `json:"goods_no"`
	GoodsName    string `json:"goods_name"`
	SpecNo       string `json:"spec_no"`
	SpecName     string `json:"spec_name"`
	Num          Text   `json:"num"`
	OrderPrice   Text   `json:"order_price"`
	SharePrice   Text   `json:"share_price"`
	ShareAmount  Text   `json:"share_amount"`
	RefundStatus Text   `json:"refund_status"`
	Modified     string `json:"modified"`
}

// ShopAnswer is the answer of shop.php.
type ShopAnswer struct {
	Code       Text   `json:"code"`
	Message    string `json:"message"`
	TotalCount Text   `json:"total_count"`
	ShopList   []Shop `json:"shoplist"`
}

// Shop is one shop of shop.php.
type Shop struct {
	ShopID     Text   `json:"shop_id"`
	ShopNo     string `json:"shop_no"`
	ShopName   string `json:"shop_name"`
	PlatformID Text   `json:"platform_id"`
	Province   string `json:"province"`
	City       string `json:"city"`
	District   string `json:"district"`
	Address    string `json:"address"`
	Telno      string `json:"telno"`
	IsDisabled Text   `json:"is_disabled"`
}
