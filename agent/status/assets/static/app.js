// storeedge status page: renders the snapshots the agent pushes over the
// websocket at /api/v1/ws, in Chinese by default or in English.
'use strict';

var WS_PATH = '/api/v1/ws';
var STATUS_PATH = '/api/v1/status';
var LANG_KEY = 'storeedge.lang';

var TEXT = {
  zh: {
    title: '门店打印状态',
    switchTo: 'English',
    connecting: '连接中…',
    live: '实时',
    stale: '数据未更新',
    printers: '打印机',
    queue: '打印队列',
    tickets: '最近小票',
    platforms: '平台连接',
    stores: '门店',
    bindings: '小票与打印机对应',
    col_time: '时间',
    col_store: '门店',
    col_order: '订单号',
    col_kind: '类型',
    col_printer: '打印机',
    col_state: '状态',
    col_attempts: '次数',
    col_error: '错误',
    col_ticket: '小票类型',
    col_printers: '打印机',
    col_copies: '份数',
    col_backup: '备用打印机',
    queued: '待打印',
    printed: '已打印',
    failed: '失败',
    lastPrinted: '上次打印',
    paper: '纸宽',
    lastPoll: '上次拉单',
    lastSuccess: '上次成功',
    ordersSeen: '已收订单',
    lastError: '最近错误',
    never: '从未',
    none: '无',
    reprint: '重打',
    version: '版本',
    started: '启动于',
    updated: '数据时间',
    noPrinters: '没有配置打印机',
    noPlatforms: '没有配置平台',
    noTickets: '还没有小票',
    noStores: '没有配置门店',
    noBindings: '没有配置小票与打印机的对应关系',
    missingPrinter: '（未配置的打印机）',
    allGood: '一切正常',
    q_pending: '待打印',
    q_inflight: '打印中',
    q_done: '已完成',
    q_dead: '打印失败',
    printer: {
      online: '正常', paper_low: '纸将尽', paper_out: '缺纸', cover_open: '开盖',
      error: '故障', offline: '离线', unknown: '未知', idle: '空闲', printing: '打印中'
    },
    printerHint: {
      paper_low: '纸快用完了，请准备新纸卷。',
      paper_out: '请换纸，换好后会自动继续打印。',
      cover_open: '请合上打印机盖。',
      error: '打印机出故障了，请查看错误信息或重启打印机。',
      offline: '连不上打印机，请检查电源和数据线/网线。',
      unknown: '读不到打印机状态，请确认打印机已开机。'
    },
    platform: { starting: '启动中', ok: '正常', error: '出错', backoff: '稍后重试' },
    platformHint: {
      error: '拉取订单出错，新订单可能不会打印。',
      backoff: '连接失败，正在等待自动重试。'
    },
    kind: { receipt: '顾客联', kitchen: '厨房联', cancel: '取消单', test: '测试页' },
    ticket: {
      pending: '待打印', queued: '待打印', inflight: '打印中', printing: '打印中',
      retry: '等待重试', done: '已打印', printed: '已打印', dead: '失败', failed: '失败',
      cancelled: '已取消'
    },
    alertPrinter: function (name, state, hint) { return '打印机「' + name + '」' + state + '：' + hint; },
    alertPlatform: function (name, state, hint, err) {
      return '平台「' + name + '」' + state + '：' + hint + (err ? '（' + err + '）' : '');
    },
    alertDead: function (n) { return '有 ' + n + ' 张小票打印失败，需要处理。'; },
    alertBinding: function (store, kind, printer) {
      return '门店「' + store + '」的' + kind + '指向未配置的打印机「' + printer + '」。';
    },
    alertStale: '页面数据没有更新，请检查 storeedge 服务是否在运行。',
    alertDisconnected: '与 storeedge 的连接已断开，正在重新连接…'
  },
  en: {
    title: 'Store printing status',
    switchTo: '中文',
    connecting: 'Reconnecting…',
    live: 'Live',
    stale: 'Not updating',
    printers: 'Printers',
    queue: 'Print queue',
    tickets: 'Latest tickets',
    platforms: 'Platforms',
    stores: 'Stores',
    bindings: 'Which tickets print where',
    col_time: 'Time',
    col_store: 'Store',
    col_order: 'Order',
    col_kind: 'Kind',
    col_printer: 'Printer',
    col_state: 'State',
    col_attempts: 'Tries',
    col_error: 'Error',
    col_ticket: 'Ticket',
    col_printers: 'Printers',
    col_copies: 'Copies',
    col_backup: 'Backup printer',
    queued: 'Queued',
    printed: 'Printed',
    failed: 'Failed',
    lastPrinted: 'Last printed',
    paper: 'Paper',
    lastPoll: 'Last poll',
    lastSuccess: 'Last success',
    ordersSeen: 'Orders seen',
    lastError: 'Last error',
    never: 'never',
    none: 'none',
    reprint: 'REPRINT',
    version: 'Version',
    started: 'Started',
    updated: 'Data as of',
    noPrinters: 'No printers configured',
    noPlatforms: 'No platforms configured',
    noTickets: 'No tickets yet',
    noStores: 'No stores configured',
    noBindings: 'No ticket-to-printer bindings configured',
    missingPrinter: ' (not a configured printer)',
    allGood: 'All good',
    q_pending: 'Waiting',
    q_inflight: 'Printing',
    q_done: 'Done',
    q_dead: 'Failed',
    printer: {
      online: 'Online', paper_low: 'Paper low', paper_out: 'Paper out', cover_open: 'Cover open',
      error: 'Error', offline: 'Offline', unknown: 'Unknown', idle: 'Idle', printing: 'Printing'
    },
    printerHint: {
      paper_low: 'paper is running low; have a new roll ready.',
      paper_out: 'load paper; printing resumes by itself.',
      cover_open: 'close the printer cover.',
      error: 'the printer reports an error; see the message or power-cycle it.',
      offline: 'cannot reach the printer; check its power and cable.',
      unknown: 'cannot read the printer status; check that it is switched on.'
    },
    platform: { starting: 'Starting', ok: 'OK', error: 'Error', backoff: 'Retrying soon' },
    platformHint: {
      error: 'fetching orders fails; new orders may not print.',
      backoff: 'the connection failed; waiting to retry.'
    },
    kind: { receipt: 'Customer receipt', kitchen: 'Kitchen ticket', cancel: 'Cancellation', test: 'Test page' },
    ticket: {
      pending: 'Waiting', queued: 'Waiting', inflight: 'Printing', printing: 'Printing',
      retry: 'Retrying', done: 'Printed', printed: 'Printed', dead: 'Failed', failed: 'Failed',
      cancelled: 'Cancelled'
    },
    alertPrinter: function (name, state, hint) { return 'Printer "' + name + '" ' + state.toLowerCase() + ': ' + hint; },
    alertPlatform: function (name, state, hint, err) {
      return 'Platform "' + name + '" ' + state.toLowerCase() + ': ' + hint + (err ? ' (' + err + ')' : '');
    },
    alertDead: function (n) { return n + (n === 1 ? ' ticket' : ' tickets') + ' failed to print and need attention.'; },
    alertBinding: function (store, kind, printer) {
      return kind + ' of store "' + store + '" goes to printer "' + printer + '", which is not configured.';
    },
    alertStale: 'The page is not getting updates; check that the storeedge service is running.',
    alertDisconnected: 'Lost the connection to storeedge; reconnecting…'
  }
};

// Severity of each printer state: ok, warn or bad.
var PRINTER_LEVEL = {
  online: 'ok', idle: 'ok', printing: 'ok',
  paper_low: 'warn', unknown: 'warn',
  paper_out: 'bad', cover_open: 'bad', error: 'bad', offline: 'bad'
};
var PLATFORM_LEVEL = { ok: 'ok', starting: 'warn', backoff: 'warn', error: 'bad' };
var TICKET_LEVEL = { done: 'ok', printed: 'ok', dead: 'bad', failed: 'bad', retry: 'warn' };

// word returns the label for key in table, or the key itself when the
// agent sends a value this page does not know.
function word(table, key) {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : String(key || '');
}

// validTime returns a Date, or null for the zero time the agent sends for
// "never".
function validTime(s) {
  if (!s) { return null; }
  var d = new Date(s);
  if (isNaN(d.getTime()) || d.getUTCFullYear() < 2000) { return null; }
  return d;
}

// fmtTime shows a time in the browser's locale: only the clock for today,
// date and clock otherwise.
function fmtTime(s, t, now) {
  var d = validTime(s);
  if (!d) { return t.never; }
  var ref = now || new Date();
  if (d.toDateString() === ref.toDateString()) {
    return d.toLocaleTimeString();
  }
  return d.toLocaleString();
}

function storeName(snap, id) {
  var stores = snap.stores || [];
  for (var i = 0; i < stores.length; i++) {
    if (stores[i].id === id) { return stores[i].name || id; }
  }
  return id;
}

// alerts lists, in plain words, everything staff should act on.
function alerts(snap, t) {
  var out = [];
  (snap.printers || []).forEach(function (p) {
    var level = PRINTER_LEVEL[p.state] || 'warn';
    if (level === 'ok') { return; }
    var hint = t.printerHint[p.state] || p.last_error || '';
    out.push({ level: level, text: t.alertPrinter(p.name, word(t.printer, p.state), hint) });
  });
  (snap.platforms || []).forEach(function (p) {
    if (p.state !== 'error' && p.state !== 'backoff') { return; }
    out.push({
      level: PLATFORM_LEVEL[p.state],
      text: t.alertPlatform(p.name, word(t.platform, p.state), word(t.platformHint, p.state), p.last_error)
    });
  });
  var dead = (snap.queue && snap.queue.dead) || 0;
  if (dead > 0) { out.push({ level: 'bad', text: t.alertDead(dead) }); }
  var known = {};
  (snap.printers || []).forEach(function (p) { known[p.name] = true; });
  (snap.bindings || []).forEach(function (b) {
    var targets = (b.printers || []).slice();
    if (b.backup) { targets.push(b.backup); }
    targets.forEach(function (name) {
      if (!known[name]) {
        out.push({ level: 'bad', text: t.alertBinding(storeName(snap, b.store), word(t.kind, b.ticket), name) });
      }
    });
  });
  return out;
}

if (typeof module !== 'undefined' && module.exports) {
  module.exports = { TEXT: TEXT, alerts: alerts, word: word, validTime: validTime, fmtTime: fmtTime, WS_PATH: WS_PATH };
}

if (typeof document !== 'undefined') {
  (function () {
    var lang = 'zh';
    try { if (localStorage.getItem(LANG_KEY) === 'en') { lang = 'en'; } } catch (e) { /* storage blocked */ }
    var meta = document.querySelector('meta[name="heartbeat-ms"]');
    var heartbeat = Math.max(1000, parseInt(meta && meta.content, 10) || 5000);
    var snap = null;
    var connected = false;
    var lastMessage = 0;
    var retries = 0;

    function $(id) { return document.getElementById(id); }

    // el builds an element; children are nodes or strings (set as text,
    // never parsed as HTML).
    function el(tag, cls) {
      var e = document.createElement(tag);
      if (cls) { e.className = cls; }
      for (var i = 2; i < arguments.length; i++) {
        var c = arguments[i];
        if (c === null || c === undefined) { continue; }
        e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
      }
      return e;
    }

    function replace(node) {
      while (node.firstChild) { node.removeChild(node.firstChild); }
      for (var i = 1; i < arguments.length; i++) { node.appendChild(arguments[i]); }
    }

    function applyStatic(t) {
      document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
      var nodes = document.querySelectorAll('[data-i18n]');
      for (var i = 0; i < nodes.length; i++) {
        var k = nodes[i].getAttribute('data-i18n');
        if (typeof t[k] === 'string') { nodes[i].textContent = t[k]; }
      }
      var b = $('lang');
      b.textContent = t.switchTo;
      b.lang = lang === 'zh' ? 'en' : 'zh-CN';
    }

    function stat(label, value) {
      return el('div', 'stat', el('span', 'stat-label', label), el('span', 'stat-value', value));
    }

    function renderPrinters(t) {
      var box = $('printers');
      var list = snap.printers || [];
      if (!list.length) { replace(box, el('p', 'empty', t.noPrinters)); return; }
      replace.apply(null, [box].concat(list.map(function (p) {
        var level = PRINTER_LEVEL[p.state] || 'warn';
        var card = el('article', 'card level-' + level,
          el('div', 'card-head', el('h3', null, p.name), el('span', 'badge level-' + level, word(t.printer, p.state))),
          el('div', 'stats', stat(t.queued, p.queued), stat(t.printed, p.printed), stat(t.failed, p.failed)),
          el('p', 'meta', t.lastPrinted + '：' + fmtTime(p.last_printed, t) + (p.paper ? ' · ' + t.paper + ' ' + p.paper : '')),
          el('p', 'uri', p.uri));
        if (level !== 'ok' && t.printerHint[p.state]) { card.appendChild(el('p', 'hint', t.printerHint[p.state])); }
        if (p.last_error) { card.appendChild(el('p', 'error', t.lastError + '：' + p.last_error)); }
        return card;
      })));
    }

    function renderQueue(t) {
      var q = snap.queue || {};
      replace($('queue'),
        el('div', 'count', el('span', 'count-value', q.pending || 0), el('span', 'count-label', t.q_pending)),
        el('div', 'count', el('span', 'count-value', q.inflight || 0), el('span', 'count-label', t.q_inflight)),
        el('div', 'count', el('span', 'count-value', q.done || 0), el('span', 'count-label', t.q_done)),
        el('div', 'count' + ((q.dead || 0) > 0 ? ' level-bad' : ''), el('span', 'count-value', q.dead || 0), el('span', 'count-label', t.q_dead)));
    }

    function renderTickets(t) {
      var body = $('tickets').tBodies[0];
      var list = snap.tickets || [];
      if (!list.length) {
        var td = el('td', 'empty', t.noTickets);
        td.colSpan = 8;
        replace(body, el('tr', null, td));
        return;
      }
      var now = new Date();
      replace.apply(null, [body].concat(list.map(function (k) {
        var kind = el('td', null, word(t.kind, k.kind));
        if (k.reprint) { kind.appendChild(el('span', 'reprint', t.reprint)); }
        return el('tr', null,
          el('td', 'nowrap', fmtTime(k.updated, t, now)),
          el('td', null, storeName(snap, k.store)),
          el('td', 'mono', k.order_id),
          kind,
          el('td', null, k.printer),
          el('td', null, el('span', 'badge level-' + (TICKET_LEVEL[k.state] || 'plain'), word(t.ticket, k.state))),
          el('td', 'num', k.attempts),
          el('td', 'error', k.error || ''));
      })));
    }

    function renderPlatforms(t) {
      var box = $('platforms');
      var list = snap.platforms || [];
      if (!list.length) { replace(box, el('p', 'empty', t.noPlatforms)); return; }
      replace.apply(null, [box].concat(list.map(function (p) {
        var level = PLATFORM_LEVEL[p.state] || 'warn';
        var card = el('article', 'card level-' + level,
          el('div', 'card-head', el('h3', null, p.name + (p.type && p.type !== p.name ? ' (' + p.type + ')' : '')),
            el('span', 'badge level-' + level, word(t.platform, p.state))),
          el('div', 'stats', stat(t.ordersSeen, p.orders_seen)),
          el('p', 'meta', t.lastPoll + '：' + fmtTime(p.last_poll, t)),
          el('p', 'meta', t.lastSuccess + '：' + fmtTime(p.last_success, t)));
        if (t.platformHint[p.state]) { card.appendChild(el('p', 'hint', t.platformHint[p.state])); }
        if (p.last_error) { card.appendChild(el('p', 'error', t.lastError + '：' + p.last_error)); }
        return card;
      })));
    }

    function renderStores(t) {
      var list = snap.stores || [];
      if (!list.length) { replace($('stores'), el('li', 'empty', t.noStores)); return; }
      replace.apply(null, [$('stores')].concat(list.map(function (s) {
        return el('li', null, el('strong', null, s.name || s.id), ' ', el('span', 'mono', s.id), s.platform ? ' · ' + s.platform : '');
      })));
    }

    function renderBindings(t) {
      var body = $('bindings').tBodies[0];
      var list = snap.bindings || [];
      if (!list.length) {
        var td = el('td', 'empty', t.noBindings);
        td.colSpan = 5;
        replace(body, el('tr', null, td));
        return;
      }
      var known = {};
      (snap.printers || []).forEach(function (p) { known[p.name] = true; });
      function printerCell(names) {
        var td = el('td');
        names.forEach(function (n, i) {
          if (i > 0) { td.appendChild(document.createTextNode('、')); }
          td.appendChild(known[n] ? el('span', null, n) : el('span', 'missing', n + t.missingPrinter));
        });
        if (!names.length) { td.appendChild(document.createTextNode(t.none)); }
        return td;
      }
      replace.apply(null, [body].concat(list.map(function (b) {
        return el('tr', null,
          el('td', null, storeName(snap, b.store)),
          el('td', null, word(t.kind, b.ticket)),
          printerCell(b.printers || []),
          el('td', 'num', b.copies),
          printerCell(b.backup ? [b.backup] : []));
      })));
    }

    function renderAlerts(t) {
      var list = snap ? alerts(snap, t) : [];
      var fresh = connected && Date.now() - lastMessage <= 3 * heartbeat;
      if (!connected && lastMessage) {
        list.unshift({ level: 'warn', text: t.alertDisconnected });
      } else if (connected && !fresh) {
        list.unshift({ level: 'warn', text: t.alertStale });
      }
      var box = $('alerts');
      if (!list.length) {
        replace(box, snap ? el('p', 'alert level-ok', t.allGood) : el('p', 'alert level-warn', t.connecting));
      } else {
        replace.apply(null, [box].concat(list.map(function (a) { return el('p', 'alert level-' + a.level, a.text); })));
      }
      var bad = list.filter(function (a) { return a.level !== 'ok'; }).length;
      document.title = (bad ? '⚠ ' + bad + ' · ' : '') + t.title;
    }

    function renderConn(t) {
      var c = $('conn');
      var fresh = Date.now() - lastMessage <= 3 * heartbeat;
      if (!connected) {
        c.textContent = t.connecting;
        c.className = 'conn conn-wait';
      } else if (!fresh) {
        c.textContent = t.stale;
        c.className = 'conn conn-wait';
      } else {
        c.textContent = t.live;
        c.className = 'conn conn-live';
      }
      $('main').className = connected && fresh ? '' : 'stale';
    }

    function renderFooter(t) {
      if (!snap) { return; }
      replace($('footer'),
        el('span', null, t.version + ' ' + (snap.version || '?')),
        el('span', null, t.started + ' ' + fmtTime(snap.started, t)),
        el('span', null, t.updated + ' ' + fmtTime(snap.now, t)));
    }

    function render() {
      var t = TEXT[lang];
      applyStatic(t);
      renderConn(t);
      renderAlerts(t);
      if (!snap) { return; }
      renderPrinters(t);
      renderQueue(t);
      renderTickets(t);
      renderPlatforms(t);
      renderStores(t);
      renderBindings(t);
      renderFooter(t);
    }

    // checkLogin sends the browser to the login page when the session has
    // ended (the agent restarted with a status token set).
    function checkLogin() {
      if (!window.fetch) { return; }
      fetch(STATUS_PATH, { cache: 'no-store', credentials: 'same-origin' }).then(function (r) {
        if (r.status === 401) { window.location.assign('/login'); }
      }, function () { /* agent unreachable: keep retrying the websocket */ });
    }

    function connect() {
      var proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
      var ws;
      try {
        ws = new WebSocket(proto + '//' + window.location.host + WS_PATH);
      } catch (e) {
        reconnect();
        return;
      }
      ws.onopen = function () {
        connected = true;
        retries = 0;
        render();
      };
      ws.onmessage = function (ev) {
        var next;
        try { next = JSON.parse(ev.data); } catch (e) { return; }
        snap = next;
        lastMessage = Date.now();
        render();
      };
      ws.onclose = function () {
        var was = connected;
        connected = false;
        render();
        if (!was) { checkLogin(); }
        reconnect();
      };
    }

    // reconnect waits 0.5 s, 1 s, 2 s ... up to 30 s, with jitter so many
    // pages do not all come back at the same moment.
    function reconnect() {
      var delay = Math.min(30000, 500 * Math.pow(2, retries));
      retries++;
      setTimeout(connect, delay / 2 + Math.random() * delay / 2);
    }

    $('lang').addEventListener('click', function () {
      lang = lang === 'zh' ? 'en' : 'zh';
      try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* storage blocked */ }
      render();
    });
    setInterval(function () {
      var t = TEXT[lang];
      renderConn(t);
      renderAlerts(t);
    }, 1000);
    render();
    connect();
  })();
}
