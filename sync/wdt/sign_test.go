package wdt

import "testing"

// The platform's documented example and a computed one with a Chinese
// value, where counting bytes instead of characters gives another sign.
func TestSign(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		packed string
		sign   string
	}{
		{
			name: "documented example",
			params: map[string]string{"appkey": "test2-xx", "page_no": "0", "end_time": "2016-08-01 13:00:00",
				"start_time": "2016-08-01 12:00:00", "page_size": "40", "sid": "test2", "timestamp": "1470042310"},
			packed: "06-appkey:0008-test2-xx;08-end_time:0019-2016-08-01 13:00:00;07-page_no:0001-0;09-page_size:0002-40;03-sid:0005-test2;10-start_time:0019-2016-08-01 12:00:00;09-timestamp:0010-1470042310",
			sign:   "ad4e6fe037ea6e3ba4768317be9d1309",
		},
		{
			name:   "chinese shop_no counts characters",
			params: map[string]string{"sid": "test2", "appkey": "test2-xx", "timestamp": "1470042310", "shop_no": "门店01", "limit": "100"},
			packed: "06-appkey:0008-test2-xx;05-limit:0003-100;07-shop_no:0004-门店01;03-sid:0005-test2;09-timestamp:0010-1470042310",
			sign:   "7bea1b2a48c0aed65cc664b972806f84",
		},
		{
			name:   "sign itself is not signed",
			params: map[string]string{"sid": "test2", "appkey": "test2-xx", "timestamp": "1470042310", "shop_no": "门店01", "limit": "100", "sign": "zzz"},
			packed: "06-appkey:0008-test2-xx;05-limit:0003-100;07-shop_no:0004-门店01;03-sid:0005-test2;09-timestamp:0010-1470042310",
			sign:   "7bea1b2a48c0aed65cc664b972806f84",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Pack(tt.params); got != tt.packed {
				t.Errorf("Pack:\n got %s\nwant %s", got, tt.packed)
			}
			if got := Sign(tt.params, "12345"); got != tt.sign {
				t.Errorf("Sign = %s, want %s", got, tt.sign)
			}
		})
	}
	// Counting bytes gives the sign the platform refuses.
	if got := Sign(map[string]string{"sid": "test2", "appkey": "test2-xx", "timestamp": "1470042310", "shop_no": "门店01", "limit": "100"}, "12345"); got == "1961cd751c72611d27f4aa893410d573" {
		t.Error("sign counts bytes")
	}
}
