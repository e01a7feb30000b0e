package sim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"storeedge/sync/order"
	"storeedge/sync/youzan"
)

// API names as counted by Calls.
const (
	APITradesSoldGet = "youzan.trades.sold.get"
	APIToken         = "auth.token"
	APIOfflineSearch = "youzan.multistore.offline.search"
	APIChainOrgs     = "youzan.shop.chain.descendent.organization.list"
)

// CodeBadParam answers a parameter outside its documented range or
// combination (page_no above 100, a half time range, a span over 3 months,
// an end before its start, an unknown status). The platform's own code for
// these is not documented; this one sits with 106000003, the trade
// service's code for an end time too far ahead.
const CodeBadParam = 106000001

// apiVersions lists the APIs served and their versions.
var apiVersions = map[string][]string{
	APITradesSoldGet: {"4.0.0", "4.0.1", "4.0.2", "4.0.3", "4.0.4"},
	APIOfflineSearch: {"3.0.0"},
	APIChainOrgs:     {"1.0.1"},
}

// queryStatuses are the values the status parameter takes.
var queryStatuses = []string{"WAIT_BUYER_PAY", "WAIT_SELLER_SEND_GOODS", "WAIT_BUYER_CONFIRM_GOODS",
	"TRADE_SUCCESS", "TRADE_CLOSED", "TRADE_REFUND"}

const maxRequest = 1 << 20

// Handler serves the platform endpoints (POST /auth/token, POST
// /api/{api}/{version}, the Wangdiantong and Hiding endpoints) and the
// admin endpoints (GET /admin/trades, POST
// /admin/trades, POST /admin/trades/{tid}/status, POST /admin/faults, POST
// /admin/tokens/revoke, GET /admin/stores, GET /admin/calls, GET
// /admin/limits).
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/auth/token", s.handleToken)
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("/openapi2/{name}", s.handleWDT)
	mux.HandleFunc("/openapi/{name}", s.handleWDT)
	s.stockRoutes(mux)
	mux.HandleFunc("POST /admin/scenario", s.adminScenario)
	mux.HandleFunc("GET /admin/trades", s.adminList)
	mux.HandleFunc("POST /admin/trades", s.adminAdd)
	mux.HandleFunc("POST /admin/trades/{tid}/status", s.adminStatus)
	mux.HandleFunc("POST /admin/faults", s.adminFault)
	mux.HandleFunc("POST /admin/tokens/revoke", s.adminRevoke)
	mux.HandleFunc("GET /admin/stores", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Stores())
	})
	mux.HandleFunc("GET /admin/calls", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Calls())
	})
	mux.HandleFunc("GET /admin/limits", s.adminLimits)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Sim) traceID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.traceIDLocked()
}

func (s *Sim) traceIDLocked() string {
	s.traces++
	return fmt.Sprintf("yz7-0a01-%d-%d", s.now().UnixMilli(), s.traces)
}

// gwError answers as the gateway does: HTTP 200 with gw_err_resp.
func (s *Sim) gwError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"gw_err_resp": youzan.GatewayError{ErrCode: int64(code), ErrMsg: msg, TraceID: s.traceID()}})
}

// bizError answers as an API does: HTTP 200 with success false.
func (s *Sim) bizError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"success": false, "code": code, "message": msg, "trace_id": s.traceID()})
}

func (s *Sim) count(api string) {
	s.mu.Lock()
	s.calls[api]++
	s.mu.Unlock()
}

// takeFault returns the injected error for api, if one is pending.
func (s *Sim) takeFault(api string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults[api]
	if f == nil {
		return 0, false
	}
	if f.count--; f.count <= 0 {
		delete(s.faults, api)
	}
	return f.code, true
}

func (s *Sim) writeFault(w http.ResponseWriter, code int) {
	switch {
	case code >= 500 && code <= 599:
		http.Error(w, http.StatusText(code), code)
	case code == FaultTruncated:
		b := fmt.Appendf(nil, `{"success":true,"code":200,"message":"successful","data":{"total_results":1,"full_order_info_list":[{"full_order_info":{"order_info":{"tid":"E1"}}}]}}`)
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = w.Write(b[:len(b)/2])
	case code == FaultMalformed:
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
	case code == youzan.CodeRequestLimited || code == youzan.CodeRateLimited:
		writeJSON(w, http.StatusOK, map[string]any{"code": code, "msg": "请求被限流"})
	case (code >= 4000 && code <= 4999) || code == youzan.CodeSystemError:
		s.gwError(w, code, gatewayWords[code])
	default:
		s.bizError(w, code, "模拟错误")
	}
}

var gatewayWords = map[int]string{
	youzan.CodeBadPath:      "请求路径错误",
	youzan.CodeBadJSON:      "请求体不是合法的JSON",
	youzan.CodeUnknownAPI:   "API不存在或版本错误",
	youzan.CodeRefused:      "请求方法或Content-Type不支持",
	youzan.CodeThrottled:    "请求被限流",
	youzan.CodeTokenMissing: "非法的请求凭证",
	youzan.CodeTokenExpired: "access_token已过期",
	youzan.CodeTokenUnknown: "access_token不存在",
	youzan.CodeNoPermission: "没有该API的能力权限",
	youzan.CodeSystemError:  "系统异常",
}

func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// handleToken is POST /auth/token for a self-built app's silent grant.
func (s *Sim) handleToken(w http.ResponseWriter, r *http.Request) {
	s.count(APIToken)
	defer s.begin(APIToken).done()
	s.setDate(w)
	if r.Method != http.MethodPost {
		s.gwError(w, youzan.CodeRefused, gatewayWords[youzan.CodeRefused])
		return
	}
	if mediaType(r) != "application/json" {
		s.bizError(w, youzan.CodeBadSecret, fmt.Sprintf("Content type '%s' not supported", r.Header.Get("Content-Type")))
		return
	}
	if code, ok := s.takeFault(APIToken); ok {
		s.writeFault(w, code)
		return
	}
	var req struct {
		ClientID      string      `json:"client_id"`
		ClientSecret  string      `json:"client_secret"`
		AuthorizeType string      `json:"authorize_type"`
		GrantID       youzan.Long `json:"grant_id"`
		Refresh       bool        `json:"refresh"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequest))
	if err := json.Unmarshal(body, &req); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			s.gwError(w, youzan.CodeSystemError, "参数类型错误: "+te.Field)
			return
		}
		s.gwError(w, youzan.CodeBadJSON, gatewayWords[youzan.CodeBadJSON])
		return
	}
	switch {
	case req.ClientID != s.opt.ClientID:
		s.bizError(w, youzan.CodeNoClient, "client_id不存在")
		return
	case subtle.ConstantTimeCompare([]byte(req.ClientSecret), []byte(s.opt.ClientSecret)) != 1:
		s.bizError(w, youzan.CodeBadSecret, "client_secret错误")
		return
	case req.AuthorizeType != "silent":
		s.bizError(w, youzan.CodeWrongAppType, fmt.Sprintf("自用型应用只支持 authorize_type=silent, 收到 %q", req.AuthorizeType))
		return
	case !s.grantable(string(req.GrantID)):
		s.bizError(w, youzan.CodeNoClient, fmt.Sprintf("授权关系不存在: grant_id %q", string(req.GrantID)))
		return
	}
	td := s.issueToken(string(req.GrantID), req.Refresh)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "code": youzan.CodeOK, "data": td, "message": nil})
}

// grantable reports whether the app may get a token for kdt_id: the shop
// (or chain HQ) that installed it, and in a chain each branch.
func (s *Sim) grantable(kdtID string) bool {
	if kdtID == s.opt.KdtID {
		return true
	}
	_, ok := s.index[kdtID]
	return ok && s.opt.Chain
}

// issued is a token: its kdt_id and its expiry.
type issued struct {
	grant string
	exp   time.Time
}

// issueToken returns the current token of kdt_id grant, or a new one
// (revoking the old) when refresh is set or the current one is no longer
// valid.
func (s *Sim) issueToken(grant string, refresh bool) youzan.TokenData {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	cur := s.current[grant]
	tok, ok := s.tokens[cur]
	if refresh || !ok || s.revoked[cur] || !now.Before(tok.exp) {
		if cur != "" {
			s.revoked[cur] = true
		}
		cur = fmt.Sprintf("%016x%016x", s.rng.Uint64(), s.rng.Uint64())
		tok = issued{grant: grant, exp: now.Add(s.opt.TokenTTL)}
		s.current[grant], s.tokens[cur] = cur, tok
		s.log.Debug("sim token issued", "grant_id", grant, "refresh", refresh, "expires", tok.exp)
	}
	return youzan.TokenData{Expires: tok.exp.UnixMilli(), Scope: "trade", AccessToken: cur, AuthorityID: youzan.Long(grant)}
}

// checkToken returns the gateway code for tok, or 0 and the token's kdt_id
// when it is valid.
func (s *Sim) checkToken(tok string) (int, string) {
	if tok == "" {
		return youzan.CodeTokenMissing, ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	switch {
	case !ok:
		return youzan.CodeTokenUnknown, ""
	case s.revoked[tok] || !s.clock().Before(t.exp):
		return youzan.CodeTokenExpired, ""
	}
	return 0, t.grant
}

// handleAPI is POST /api/{api}/{version}?access_token=...
func (s *Sim) handleAPI(w http.ResponseWriter, r *http.Request) {
	api, version, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/api/"), "/")
	if api != "" {
		s.count(api)
	}
	rec := s.begin(api)
	defer rec.done()
	s.setDate(w)
	if api == "" || version == "" || strings.Contains(version, "/") {
		s.gwError(w, youzan.CodeBadPath, gatewayWords[youzan.CodeBadPath])
		return
	}
	if !slices.Contains(apiVersions[api], version) {
		s.gwError(w, youzan.CodeUnknownAPI, gatewayWords[youzan.CodeUnknownAPI])
		return
	}
	if r.Method != http.MethodPost || mediaType(r) != "application/json" {
		s.gwError(w, youzan.CodeRefused, gatewayWords[youzan.CodeRefused])
		return
	}
	if code, ok := s.takeFault(api); ok {
		s.writeFault(w, code)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequest))
	var params map[string]json.RawMessage
	if err := json.Unmarshal(body, &params); err != nil || params == nil {
		s.gwError(w, youzan.CodeBadJSON, gatewayWords[youzan.CodeBadJSON])
		return
	}
	// The token counts only in the query string; one in an Authorization
	// header or in the body is as good as none.
	code, grant := s.checkToken(r.URL.Query().Get("access_token"))
	if code != 0 {
		s.gwError(w, code, gatewayWords[code])
		return
	}
	if raw, ok := params["offline_id"]; ok {
		rec.Store = strings.Trim(string(raw), `"`)
	}
	// Every token belongs to the one app: its limit counts all its calls.
	if !s.allow(youzanApp(s.opt.ClientID)) {
		rec.Throttled = true
		s.throttleYouzan(w)
		return
	}
	switch api {
	case APITradesSoldGet:
		s.tradesSoldGet(w, grant, params)
	case APIOfflineSearch:
		s.offlineSearch(w, grant, params)
	case APIChainOrgs:
		s.chainOrgs(w, grant, params)
	}
}

// paramError is a refused parameter: a gateway 5001 or a business error.
type paramError struct {
	gateway bool
	code    int
	msg     string
}

func (s *Sim) writeParamError(w http.ResponseWriter, e *paramError) {
	if e.gateway {
		s.gwError(w, e.code, e.msg)
		return
	}
	s.bizError(w, e.code, e.msg)
}

func typeError(name, want string) *paramError {
	return &paramError{gateway: true, code: youzan.CodeSystemError, msg: fmt.Sprintf("系统异常: 参数 %s 类型错误, 应为%s", name, want)}
}

func badParam(format string, a ...any) *paramError {
	return &paramError{code: CodeBadParam, msg: fmt.Sprintf(format, a...)}
}

// soldQuery is a checked youzan.trades.sold.get request.
type soldQuery struct {
	startU, endU, startC, endC time.Time
	hasU, hasC                 bool
	status, tid, offline       string
	pageNo, pageSize           int64
}

type params map[string]json.RawMessage

func (p params) str(name string) (string, bool, *paramError) {
	raw, ok := p[name]
	if !ok || string(raw) == "null" {
		return "", false, nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false, typeError(name, "String")
	}
	return v, true, nil
}

func (p params) long(name string) (int64, bool, *paramError) {
	raw, ok := p[name]
	if !ok || string(raw) == "null" {
		return 0, false, nil
	}
	var l youzan.Long
	if err := json.Unmarshal(raw, &l); err != nil {
		return 0, false, typeError(name, "Long")
	}
	n, err := strconv.ParseInt(string(l), 10, 64)
	if err != nil {
		return 0, false, typeError(name, "Long")
	}
	return n, true, nil
}

func (p params) time(name string) (time.Time, bool, *paramError) {
	v, ok, perr := p.str(name)
	if perr != nil || !ok {
		return time.Time{}, ok, perr
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", v, order.CST)
	if err != nil {
		// A date without its time, or anything else, fails inside the
		// platform as a system error.
		return time.Time{}, false, &paramError{gateway: true, code: youzan.CodeSystemError,
			msg: fmt.Sprintf("系统异常: %s 应为 yyyy-MM-dd HH:mm:ss, 收到 %q", name, v)}
	}
	return t, true, nil
}

// timeRange reads a start/end pair and checks it.
func (p params) timeRange(start, end string) (from, to time.Time, has bool, perr *paramError) {
	from, hasFrom, perr := p.time(start)
	if perr != nil {
		return
	}
	to, hasTo, perr := p.time(end)
	if perr != nil {
		return
	}
	switch {
	case !hasFrom && !hasTo:
		return from, to, false, nil
	case hasFrom != hasTo:
		return from, to, false, badParam("%s 和 %s 必须同时传入", start, end)
	case !to.After(from):
		return from, to, false, badParam("%s 必须晚于 %s", end, start)
	case to.After(from.AddDate(0, 3, 0)):
		return from, to, false, badParam("%s 与 %s 的跨度不能超过3个月", start, end)
	}
	return from, to, true, nil
}

func (s *Sim) parseSoldQuery(p params) (*soldQuery, *paramError) {
	q := &soldQuery{pageNo: 1, pageSize: 20}
	var perr *paramError
	if q.startU, q.endU, q.hasU, perr = p.timeRange("start_update", "end_update"); perr != nil {
		return nil, perr
	}
	if q.hasU && q.endU.After(s.clockNow().Add(7*24*time.Hour)) {
		return nil, &paramError{code: youzan.CodeEndTooFar, msg: "end_update 不能晚于当前时间7天"}
	}
	if q.startC, q.endC, q.hasC, perr = p.timeRange("start_created", "end_created"); perr != nil {
		return nil, perr
	}
	if n, ok, perr := p.long("page_no"); perr != nil {
		return nil, perr
	} else if ok {
		if n < 1 || n > 100 {
			return nil, badParam("page_no 取值范围为 1-100, 收到 %d", n)
		}
		q.pageNo = n
	}
	if n, ok, perr := p.long("page_size"); perr != nil {
		return nil, perr
	} else if ok {
		if n < 1 || n > 100 {
			return nil, badParam("page_size 取值范围为 1-100, 收到 %d", n)
		}
		q.pageSize = n
	}
	if n, ok, perr := p.long("offline_id"); perr != nil {
		return nil, perr
	} else if ok {
		q.offline = strconv.FormatInt(n, 10)
	}
	if v, ok, perr := p.str("status"); perr != nil {
		return nil, perr
	} else if ok {
		if !slices.Contains(queryStatuses, v) {
			return nil, badParam("status %q 不是 %s 之一", v, strings.Join(queryStatuses, ", "))
		}
		q.status = v
	}
	if v, _, perr := p.str("tid"); perr != nil {
		return nil, perr
	} else {
		q.tid = v
	}
	return q, nil
}

func (q *soldQuery) match(t *Trade) bool {
	switch {
	case q.offline != "" && t.StoreID != q.offline,
		q.tid != "" && t.TID != q.tid,
		q.status == "TRADE_REFUND" && t.RefundState == 0,
		q.status != "" && q.status != "TRADE_REFUND" && t.Status != q.status,
		q.hasU && (t.Updated.Before(q.startU) || t.Updated.After(q.endU)),
		q.hasC && (t.Created.Before(q.startC) || t.Created.After(q.endC)):
		return false
	}
	return true
}

// tradesSoldGet answers youzan.trades.sold.get. Both ends of a time range
// are inclusive. With an update range the list is sorted by update time,
// otherwise by creation time, ties by tid.
//
// In a retail chain the HQ token reads every branch (offline_id naming a
// branch's kdt_id filters on it) and a branch's own token reads only that
// branch.
func (s *Sim) tradesSoldGet(w http.ResponseWriter, grant string, p params) {
	q, perr := s.parseSoldQuery(p)
	if perr != nil {
		s.writeParamError(w, perr)
		return
	}
	branch := ""
	if s.opt.Chain && grant != s.opt.KdtID {
		branch = grant
	}
	s.mu.Lock()
	var hits []*Trade
	visible := s.visibleUntil()
	for _, t := range s.trades {
		if q.match(t) && !t.Updated.After(visible) && (branch == "" || t.StoreID == branch) {
			hits = append(hits, t)
		}
	}
	key := func(t *Trade) time.Time { return t.Created }
	if q.hasU {
		key = func(t *Trade) time.Time { return t.Updated }
	}
	slices.SortFunc(hits, func(a, b *Trade) int {
		if c := key(a).Compare(key(b)); c != 0 {
			return c
		}
		return strings.Compare(a.TID, b.TID)
	})
	// The page is written from each order's cached JSON: a busy simulator
	// answers thousands of pages.
	var buf bytes.Buffer
	trace, _ := json.Marshal(s.traceIDLocked())
	fmt.Fprintf(&buf, `{"success":true,"code":%d,"message":"successful","trace_id":%s,"data":{"total_results":%d,"full_order_info_list":[`,
		youzan.CodeOK, trace, len(hits))
	lo := (q.pageNo - 1) * q.pageSize
	page := hits[min(lo, int64(len(hits))):min(lo+q.pageSize, int64(len(hits)))]
	for i, t := range page {
		b, err := t.encoded()
		if err != nil {
			s.mu.Unlock()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"full_order_info":`)
		buf.Write(b)
		buf.WriteByte('}')
	}
	fresh := s.claim(page, fmt.Sprintf("youzan %s/%s updated %v..%v created %v..%v", grant, q.offline, q.startU, q.endU, q.startC, q.endC))
	s.mu.Unlock()
	buf.WriteString("]}}")
	s.write(w, buf.Bytes(), fresh)
}
