// storeedge status page: renders the snapshots the agent pushes over the
// websocket at /api/v1/ws, in Chinese by default or in English, and sends
// what staff decide (reprint, retry, move, release, drop, pause, test page)
// to the local API.
'use strict';

var WS_PATH = '/api/v1/ws';
var STATUS_PATH = '/api/v1/status';
var LANG_KEY = 'storeedge.lang';
var SOUND_KEY = 'storeedge.sound';

var TEXT = {
  zh: {
    title: '门店打印状态',
    switchTo: 'English',
    connecting: '连接中…',
    live: '实时',
    stale: '数据未更新',
    viewOverview: '概览',
    viewTickets: '小票',
    viewPrinters: '打印机',
    soundOn: '提示音：开',
    soundOff: '提示音：关',
    soundBlocked: '点此开启提示音',
    today: '今日',
    todayOrders: '今日订单',
    todayTickets: '今日已打印',
    waiting: '待打印',
    needDecision: '需要处理',
    printers: '打印机',
    printerControl: '打印机操作',
    platforms: '平台连接',
    reports: '库存与价格上报',
    reportPending: '待上报',
    reportDone: '已上报',
    callsToday: '今日调用',
    lastReport: '上次上报',
    refused: '平台拒收',
    sourceValues: '读到',
    sourceChanged: '变化',
    lastRun: '上次读取',
    badRows: '有问题的行',
    stores: '门店',
    bindings: '小票与打印机对应',
    attention: '需要处理的小票',
    tickets: '最近小票',
    col_time: '时间',
    col_store: '门店',
    col_order: '订单号',
    col_kind: '类型',
    col_printer: '打印机',
    col_state: '状态',
    col_attempts: '次数',
    col_actions: '操作',
    col_ticket: '小票类型',
    col_printers: '打印机',
    col_copies: '份数',
    col_backup: '备用打印机',
    queued: '排队',
    printed: '已打印',
    failed: '失败',
    lastPrinted: '上次打印',
    paper: '纸宽',
    lastPoll: '上次拉单',
    lastSuccess: '上次成功',
    ordersSeen: '今日订单',
    lastError: '最近错误',
    never: '从未',
    none: '无',
    reprintMark: '重打',
    paused: '已暂停',
    since: '起',
    version: '版本',
    started: '启动于',
    updated: '数据时间',
    noPrinters: '没有配置打印机',
    noPlatforms: '没有配置平台',
    noTickets: '还没有小票',
    noAttention: '没有需要处理的小票',
    noStores: '没有配置门店',
    noBindings: '没有配置小票与打印机的对应关系',
    missingPrinter: '（未配置的打印机）',
    allGood: '一切正常',
    choosePrinter: '打印机',
    dropReason: '原因（可不填）',
    cancel: '取消',
    confirm: '确定',
    close: '关闭',
    loading: '正在生成预览…',
    previewFailed: '预览生成失败',
    act: {
      preview: '预览', reprint: '重打', retry: '重试', move: '转打印机',
      release: '打印', drop: '放弃', pause: '暂停打印', resume: '继续打印', test: '打印测试页'
    },
    ask: {
      reprint: '重打这张小票？', reprintText: '会打印一张带“重打”标记的新小票。',
      move: '转到其他打印机？', moveText: '这张小票会在选中的打印机上打印，并注明原定的打印机。',
      release: '打印这张小票？', releaseText: '程序意外退出时它可能正在打印，可能已经打印过一次。打印出来会带“重打”标记。',
      drop: '放弃这张小票？', dropText: '它不会再打印；以后仍可在这里重打。',
      retry: '重新打印这张小票？', retryText: '它会回到打印机的队列末尾。',
      pause: '暂停这台打印机？', pauseText: '新小票会排队等待，直到点“继续打印”。重启程序后仍保持暂停。'
    },
    done: {
      reprint: '已加入重打', retry: '已重新排队', move: '已转到其他打印机', release: '已放行，马上打印',
      drop: '已放弃', pause: '已暂停', resume: '已继续打印', test: '测试页已加入队列',
      testPaused: '测试页已加入队列，打印机继续后才会打印'
    },
    failedAction: '操作失败：',
    printer: {
      online: '正常', paper_low: '纸将尽', paper_out: '缺纸', cover_open: '开盖',
      error: '故障', offline: '离线', unknown: '未知', idle: '正常', printing: '打印中'
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
      pending: '待打印', inflight: '打印中', held: '待确认', done: '已打印', dead: '失败', dropped: '已放弃'
    },
    ago: function (min) { return min < 1 ? '刚刚' : min < 60 ? min + ' 分钟' : Math.floor(min / 60) + ' 小时 ' + (min % 60) + ' 分钟'; },
    alert: {
      printer: function (a, t) {
        var s = '打印机「' + a.subject + '」' + word(t.printer, a.state);
        if (a.state === 'offline') { s += '已超过 1 分钟'; }
        return s + '：' + (t.printerHint[a.state] || a.detail || '');
      },
      paused: function (a) { return '打印机「' + a.subject + '」已暂停，新小票在排队；到“打印机”页点“继续打印”恢复。'; },
      platform: function (a, t) {
        return '平台「' + a.subject + '」' + word(t.platform, a.state) + '：' + word(t.platformHint, a.state) + (a.detail ? '（' + a.detail + '）' : '');
      },
      dead: function (a) { return '有 ' + a.count + ' 张小票打印失败，需要处理。'; },
      held: function (a) { return '有 ' + a.count + ' 张小票可能已打印过（程序意外退出时正在打印），请在“小票”页决定打印或放弃。'; },
      binding: function (a, t, snap) {
        return '门店「' + storeName(snap, a.subject) + '」的' + word(t.kind, a.ticket) + '指向未配置的打印机「' + a.printer + '」。';
      },
      recovery: function (a) { return '打印队列文件损坏，已另存并重新开始，里面的小票没有打印：' + (a.detail || ''); }
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
    viewOverview: 'Overview',
    viewTickets: 'Tickets',
    viewPrinters: 'Printers',
    soundOn: 'Sound: on',
    soundOff: 'Sound: off',
    soundBlocked: 'Click to enable sound',
    today: 'Today',
    todayOrders: 'Orders today',
    todayTickets: 'Printed today',
    waiting: 'Waiting',
    needDecision: 'Need a decision',
    printers: 'Printers',
    printerControl: 'Printer controls',
    platforms: 'Platforms',
    reports: 'Stock and price reports',
    reportPending: 'Waiting',
    reportDone: 'Reported',
    callsToday: 'Calls today',
    lastReport: 'Last report',
    refused: 'Refused by the platform',
    sourceValues: 'Read',
    sourceChanged: 'Changed',
    lastRun: 'Last read',
    badRows: 'Problem rows',
    stores: 'Stores',
    bindings: 'Which tickets print where',
    attention: 'Tickets that need a decision',
    tickets: 'Latest tickets',
    col_time: 'Time',
    col_store: 'Store',
    col_order: 'Order',
    col_kind: 'Kind',
    col_printer: 'Printer',
    col_state: 'State',
    col_attempts: 'Tries',
    col_actions: 'Actions',
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
    ordersSeen: 'Orders today',
    lastError: 'Last error',
    never: 'never',
    none: 'none',
    reprintMark: 'REPRINT',
    paused: 'Paused',
    since: 'for',
    version: 'Version',
    started: 'Started',
    updated: 'Data as of',
    noPrinters: 'No printers configured',
    noPlatforms: 'No platforms configured',
    noTickets: 'No tickets yet',
    noAttention: 'No ticket needs a decision',
    noStores: 'No stores configured',
    noBindings: 'No ticket-to-printer bindings configured',
    missingPrinter: ' (not a configured printer)',
    allGood: 'All good',
    choosePrinter: 'Printer',
    dropReason: 'Reason (optional)',
    cancel: 'Cancel',
    confirm: 'OK',
    close: 'Close',
    loading: 'Drawing the ticket…',
    previewFailed: 'The preview could not be drawn',
    act: {
      preview: 'Preview', reprint: 'Reprint', retry: 'Retry', move: 'Move',
      release: 'Print', drop: 'Drop', pause: 'Pause', resume: 'Resume', test: 'Print test page'
    },
    ask: {
      reprint: 'Reprint this ticket?', reprintText: 'A new copy prints with the REPRINT mark.',
      move: 'Move to another printer?', moveText: 'The ticket prints on the chosen printer and names the one it was meant for.',
      release: 'Print this ticket?', releaseText: 'It was printing when the program stopped and may have printed already. It prints with the REPRINT mark.',
      drop: 'Drop this ticket?', dropText: 'It will not print; you can still reprint it here later.',
      retry: 'Print this ticket again?', retryText: 'It goes back to the end of its printer\'s queue.',
      pause: 'Pause this printer?', pauseText: 'New tickets wait until you press Resume, also after a restart.'
    },
    done: {
      reprint: 'Reprint queued', retry: 'Queued again', move: 'Moved to the other printer', release: 'Released; printing now',
      drop: 'Dropped', pause: 'Paused', resume: 'Printing again', test: 'Test page queued',
      testPaused: 'Test page queued; it prints once the printer is resumed'
    },
    failedAction: 'Failed: ',
    printer: {
      online: 'Online', paper_low: 'Paper low', paper_out: 'Paper out', cover_open: 'Cover open',
      error: 'Error', offline: 'Offline', unknown: 'Unknown', idle: 'Online', printing: 'Printing'
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
      pending: 'Waiting', inflight: 'Printing', held: 'Needs a decision', done: 'Printed', dead: 'Failed', dropped: 'Dropped'
    },
    ago: function (min) { return min < 1 ? 'just now' : min < 60 ? min + ' min' : Math.floor(min / 60) + ' h ' + (min % 60) + ' min'; },
    alert: {
      printer: function (a, t) {
        var s = 'Printer "' + a.subject + '" ' + word(t.printer, a.state).toLowerCase();
        if (a.state === 'offline') { s += ' for over a minute'; }
        return s + ': ' + (t.printerHint[a.state] || a.detail || '');
      },
      paused: function (a) { return 'Printer "' + a.subject + '" is paused; new tickets wait. Resume it on the Printers page.'; },
      platform: function (a, t) {
        return 'Platform "' + a.subject + '" ' + word(t.platform, a.state).toLowerCase() + ': ' + word(t.platformHint, a.state) + (a.detail ? ' (' + a.detail + ')' : '');
      },
      dead: function (a) { return a.count + (a.count === 1 ? ' ticket' : ' tickets') + ' failed to print and need attention.'; },
      held: function (a) {
        return a.count + (a.count === 1 ? ' ticket' : ' tickets') + ' may have printed when the program stopped; decide on the Tickets page whether to print or drop.';
      },
      binding: function (a, t, snap) {
        return word(t.kind, a.ticket) + ' of store "' + storeName(snap, a.subject) + '" goes to printer "' + a.printer + '", which is not configured.';
      },
      recovery: function (a) { return 'The print queue file was damaged; it was set aside and a fresh one started. Its tickets did not print: ' + (a.detail || ''); }
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
var TICKET_LEVEL = { done: 'ok', dead: 'bad', held: 'bad', pending: 'warn', inflight: 'warn', dropped: 'plain' };

// ACTIONS are what a person may do with a job in each state; the API
// refuses the rest.
var ACTIONS = {
  pending: ['preview', 'move', 'drop'],
  inflight: ['preview'],
  held: ['preview', 'release', 'drop'],
  done: ['preview', 'reprint'],
  dead: ['preview', 'retry', 'reprint', 'drop'],
  dropped: ['preview', 'retry', 'reprint']
};

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

// fmtTime shows a time: only the clock for today, date and clock otherwise.
function fmtTime(s, t, now, locale) {
  var d = validTime(s);
  if (!d) { return t.never; }
  var ref = now || new Date();
  if (d.toDateString() === ref.toDateString()) {
    return d.toLocaleTimeString(locale);
  }
  return d.toLocaleString(locale);
}

// fmtAgo says how long ago s was, from now (both dates or strings).
function fmtAgo(s, now, t) {
  var d = validTime(s);
  if (!d) { return ''; }
  return t.ago(Math.max(0, Math.floor((new Date(now).getTime() - d.getTime()) / 60000)));
}

function storeName(snap, id) {
  var stores = (snap && snap.stores) || [];
  for (var i = 0; i < stores.length; i++) {
    if (stores[i].id === id) { return stores[i].name || id; }
  }
  return id;
}

// alertText puts one of the server's alerts in words.
function alertText(a, t, snap) {
  var f = t.alert[a.kind];
  var s = f ? f(a, t, snap) : String(a.kind) + (a.subject ? ' ' + a.subject : '') + (a.detail ? ': ' + a.detail : '');
  if (a.since && snap && (a.kind === 'printer' || a.kind === 'platform')) {
    var ago = fmtAgo(a.since, snap.now, t);
    if (ago) { s += ' [' + ago + ']'; }
  }
  return s;
}

// actionsFor lists the buttons of a job in state.
function actionsFor(state) {
  return ACTIONS[state] || ['preview'];
}

// newOrders returns the order ids in snap's tickets that are not in seen
// (an object used as a set), and adds them to seen. Test pages have no
// order.
function newOrders(seen, snap) {
  var out = [];
  (snap.tickets || []).forEach(function (k) {
    if (!k.order_id || k.kind === 'test' || seen[k.order_id]) { return; }
    seen[k.order_id] = true;
    out.push(k.order_id);
  });
  return out;
}

// jobPath is the API path of a job action.
function jobPath(id, action) {
  return '/api/v1/jobs/' + encodeURIComponent(id) + '/' + action;
}

if (typeof module !== 'undefined' && module.exports) {
  module.exports = {
    TEXT: TEXT, ACTIONS: ACTIONS, word: word, validTime: validTime, fmtTime: fmtTime, fmtAgo: fmtAgo,
    alertText: alertText, actionsFor: actionsFor, newOrders: newOrders, jobPath: jobPath, WS_PATH: WS_PATH
  };
}

if (typeof document !== 'undefined') {
  (function () {
    var lang = 'zh';
    try { if (localStorage.getItem(LANG_KEY) === 'en') { lang = 'en'; } } catch (e) { /* storage blocked */ }
    var soundWanted = false;
    try { soundWanted = localStorage.getItem(SOUND_KEY) === 'on'; } catch (e) { /* storage blocked */ }
    var meta = document.querySelector('meta[name="heartbeat-ms"]');
    var heartbeat = Math.max(1000, parseInt(meta && meta.content, 10) || 5000);
    var snap = null;
    var connected = false;
    var lastMessage = 0;
    var retries = 0;
    var seenOrders = null; // order ids already on the page; null before the first snapshot
    var audio = null;
    var toastTimer = 0;
    var askOk = null; // what the open confirmation dialog does on OK

    function $(id) { return document.getElementById(id); }
    function locale() { return lang === 'zh' ? 'zh-CN' : 'en-GB'; }

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

    function button(label, cls, onClick) {
      var b = el('button', 'btn ' + (cls || ''), label);
      b.type = 'button';
      b.addEventListener('click', onClick);
      return b;
    }

    // ---- sound ----

    function audioReady() { return audio && audio.state === 'running'; }

    function enableAudio() {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return; }
      if (!audio) { audio = new Ctx(); }
      if (audio.state !== 'running' && audio.resume) { audio.resume().then(renderSound, renderSound); }
    }

    // beep plays two short rising tones, made on the spot (no sound file).
    function beep() {
      if (!soundWanted || !audio) { return; }
      var t0 = audio.currentTime;
      [880, 1320].forEach(function (f, i) {
        var o = audio.createOscillator();
        var g = audio.createGain();
        o.type = 'sine';
        o.frequency.value = f;
        g.gain.setValueAtTime(0.0001, t0 + i * 0.18);
        g.gain.exponentialRampToValueAtTime(0.3, t0 + i * 0.18 + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.18 + 0.16);
        o.connect(g);
        g.connect(audio.destination);
        o.start(t0 + i * 0.18);
        o.stop(t0 + i * 0.18 + 0.17);
      });
    }

    function renderSound() {
      var t = TEXT[lang];
      var b = $('sound');
      b.setAttribute('aria-pressed', soundWanted ? 'true' : 'false');
      if (soundWanted && !audioReady()) {
        b.textContent = t.soundBlocked;
        b.className = 'topbtn topbtn-warn';
      } else {
        b.textContent = soundWanted ? t.soundOn : t.soundOff;
        b.className = 'topbtn';
      }
    }

    // ---- actions ----

    function toast(text, bad) {
      var box = $('toast');
      replace(box, el('p', 'toast-msg ' + (bad ? 'level-bad' : 'level-ok'), text));
      clearTimeout(toastTimer);
      toastTimer = setTimeout(function () { replace(box); }, 6000);
    }

    // post sends a state-changing request to the local API; the websocket
    // brings the new state.
    function post(path, body, done) {
      var t = TEXT[lang];
      fetch(path, {
        method: 'POST', credentials: 'same-origin', cache: 'no-store',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body || {})
      }).then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, status: r.status, body: j }; },
          function () { return { ok: r.ok, status: r.status, body: {} }; });
      }).then(function (res) {
        if (res.status === 401) { window.location.assign('/login'); return; }
        if (!res.ok) { toast(t.failedAction + (res.body.error || res.status), true); return; }
        done(res.body);
      }, function (err) {
        toast(t.failedAction + err, true);
      });
    }

    // ask shows the confirmation dialog; opts.printer offers a printer
    // choice (the current one preselected unless opts.other), opts.reason a
    // reason field. ok receives {printer, reason}.
    function ask(title, text, opts, ok) {
      var d = $('ask');
      $('ask-title').textContent = title;
      $('ask-text').textContent = text;
      var sel = $('ask-printer');
      $('ask-printer-label').hidden = !opts.printer;
      if (opts.printer) {
        replace(sel);
        (snap.printers || []).forEach(function (p) {
          if (opts.other && p.name === opts.printer) { return; }
          var o = el('option', null, p.name + ' · ' + word(TEXT[lang].printer, p.state) + (p.paused ? ' · ' + TEXT[lang].paused : ''));
          o.value = p.name;
          if (p.name === opts.printer) { o.selected = true; }
          sel.appendChild(o);
        });
      }
      $('ask-reason-label').hidden = !opts.reason;
      $('ask-reason').value = '';
      askOk = ok;
      d.showModal();
    }

    function jobAction(k, action) {
      var t = TEXT[lang];
      var after = function () { toast(t.done[action]); };
      switch (action) {
        case 'preview': showPreview(k); return;
        case 'reprint':
          ask(t.ask.reprint, t.ask.reprintText, { printer: k.printer }, function (v) {
            post(jobPath(k.id, 'reprint'), { printer: v.printer }, after);
          });
          return;
        case 'move':
          ask(t.ask.move, t.ask.moveText, { printer: k.printer, other: true }, function (v) {
            post(jobPath(k.id, 'move'), { printer: v.printer }, after);
          });
          return;
        case 'drop':
          ask(t.ask.drop, t.ask.dropText, { reason: true }, function (v) {
            post(jobPath(k.id, 'drop'), { reason: v.reason }, after);
          });
          return;
        default: // release, retry
          ask(t.ask[action], t.ask[action + 'Text'], {}, function () { post(jobPath(k.id, action), null, after); });
      }
    }

    function printerAction(p, action) {
      var t = TEXT[lang];
      var path = '/api/v1/printers/' + encodeURIComponent(p.name) + '/' + action;
      var run = function () {
        post(path, null, function (res) { toast(action === 'test' && res.paused ? t.done.testPaused : t.done[action]); });
      };
      if (action === 'pause') { ask(t.ask.pause, t.ask.pauseText, {}, run); } else { run(); }
    }

    function showPreview(k) {
      var t = TEXT[lang];
      var d = $('preview');
      var img = $('preview-img');
      $('preview-title').textContent = word(t.kind, k.kind) + (k.order_id ? ' · ' + k.order_id : '') + ' · ' + k.printer;
      $('preview-status').textContent = t.loading;
      img.onload = function () { $('preview-status').textContent = ''; };
      img.onerror = function () { $('preview-status').textContent = t.previewFailed; };
      img.alt = $('preview-title').textContent;
      img.src = k.preview || jobPath(k.id, 'preview.png');
      d.showModal();
    }

    // ---- rendering ----

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
      renderSound();
    }

    function view() {
      var v = (window.location.hash || '').replace('#', '');
      return v === 'tickets' || v === 'printers' ? v : 'overview';
    }

    function renderView() {
      var v = view();
      ['overview', 'tickets', 'printers'].forEach(function (name) {
        $('view-' + name).hidden = name !== v;
        var tab = $('tab-' + name);
        tab.className = name === v ? 'active' : '';
        if (name === v) { tab.setAttribute('aria-current', 'page'); } else { tab.removeAttribute('aria-current'); }
      });
    }

    function stat(label, value) {
      return el('div', 'stat', el('span', 'stat-label', label), el('span', 'stat-value', value));
    }

    function count(label, value, level) {
      return el('div', 'count' + (level ? ' level-' + level : ''), el('span', 'count-value', value), el('span', 'count-label', label));
    }

    function renderToday(t) {
      var d = snap.today || {};
      var q = snap.queue || {};
      var waiting = (q.pending || 0) + (q.inflight || 0);
      var decide = (q.dead || 0) + (q.held || 0);
      replace($('today'),
        count(t.todayOrders, d.orders || 0),
        count(t.todayTickets, d.tickets || 0),
        count(t.waiting, waiting, waiting > 0 ? 'warn' : ''),
        count(t.needDecision, decide, decide > 0 ? 'bad' : ''));
    }

    function printerBadge(t, p) {
      var level = PRINTER_LEVEL[p.state] || 'warn';
      var badge = el('span', 'badge level-' + level, word(t.printer, p.state));
      var box = el('span', 'badges', badge);
      if (p.paused) { box.appendChild(el('span', 'badge level-warn paused-badge', t.paused)); }
      return box;
    }

    function printerCard(t, p, controls) {
      var level = PRINTER_LEVEL[p.state] || 'warn';
      if (p.paused && level === 'ok') { level = 'warn'; }
      var card = el('article', 'card level-' + level,
        el('div', 'card-head', el('h3', null, p.name), printerBadge(t, p)),
        el('div', 'stats', stat(t.queued, p.queued), stat(t.printed, p.printed), stat(t.failed, p.failed)),
        el('p', 'meta', t.lastPrinted + '：' + fmtTime(p.last_printed, t, null, locale()) + (p.paper ? ' · ' + t.paper + ' ' + p.paper : '')));
      card.setAttribute('data-printer', p.name);
      if ((PRINTER_LEVEL[p.state] || 'warn') !== 'ok') {
        var since = p.needs_person_since || p.since;
        var ago = fmtAgo(since, snap.now, t);
        var hint = t.printerHint[p.state] || '';
        if (hint) { card.appendChild(el('p', 'hint', hint + (ago ? ' [' + ago + ']' : ''))); }
        if (p.detail) { card.appendChild(el('p', 'meta', p.detail)); }
      }
      if (p.last_error) { card.appendChild(el('p', 'error', t.lastError + '：' + p.last_error)); }
      if (controls) {
        card.appendChild(el('p', 'uri', p.uri));
        card.appendChild(el('div', 'card-actions',
          p.paused ? button(t.act.resume, 'btn-primary act-resume', function () { printerAction(p, 'resume'); })
            : button(t.act.pause, 'act-pause', function () { printerAction(p, 'pause'); }),
          button(t.act.test, 'act-test', function () { printerAction(p, 'test'); })));
      }
      return card;
    }

    function renderPrinters(t) {
      var list = snap.printers || [];
      [['printers', false], ['control', true]].forEach(function (c) {
        var box = $(c[0]);
        if (!list.length) { replace(box, el('p', 'empty', t.noPrinters)); return; }
        replace.apply(null, [box].concat(list.map(function (p) { return printerCard(t, p, c[1]); })));
      });
    }

    function jobRows(t, body, list, empty) {
      if (!list.length) {
        var td = el('td', 'empty', empty);
        td.colSpan = 8;
        replace(body, el('tr', null, td));
        return;
      }
      var now = new Date();
      replace.apply(null, [body].concat(list.map(function (k) {
        var kind = el('td', null, word(t.kind, k.kind));
        if (k.reprint) { kind.appendChild(el('span', 'reprint', t.reprintMark)); }
        var acts = el('td', 'actions');
        actionsFor(k.state).forEach(function (a) {
          acts.appendChild(button(t.act[a], 'btn-small act-' + a + (a === 'release' ? ' btn-primary' : ''), function () { jobAction(k, a); }));
        });
        var state = el('td', null, el('span', 'badge level-' + (TICKET_LEVEL[k.state] || 'plain'), word(t.ticket, k.state)));
        if (k.error) { state.appendChild(el('div', 'error', k.error)); }
        var tr = el('tr', null,
          el('td', 'nowrap', fmtTime(k.updated, t, now, locale())),
          el('td', null, storeName(snap, k.store)),
          el('td', 'mono', k.order_id || ''),
          kind,
          el('td', null, k.printer),
          state,
          el('td', 'num', k.attempts),
          acts);
        tr.setAttribute('data-job', k.id);
        return tr;
      })));
    }

    function renderTickets(t) {
      var att = snap.attention || [];
      jobRows(t, $('attention').tBodies[0], att, t.noAttention);
      $('attention-section').className = att.length ? 'attention-on' : '';
      jobRows(t, $('tickets').tBodies[0], snap.tickets || [], t.noTickets);
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
          el('p', 'meta', t.lastPoll + '：' + fmtTime(p.last_poll, t, null, locale())),
          el('p', 'meta', t.lastSuccess + '：' + fmtTime(p.last_success, t, null, locale())));
        if (t.platformHint[p.state]) { card.appendChild(el('p', 'hint', t.platformHint[p.state])); }
        if (p.last_error) { card.appendChild(el('p', 'error', t.lastError + '：' + p.last_error)); }
        return card;
      })));
    }

    // renderReports shows stock and price reporting: each platform account
    // with its waiting changes, refused SKUs in words, and each POS source
    // with the problem rows it found. Hidden when none is configured.
    function renderReports(t) {
      var reports = snap.reports || [];
      var sources = snap.stock_sources || [];
      $('reports-section').hidden = !reports.length && !sources.length;
      var cards = reports.map(function (r) {
        var level = r.last_error ? 'bad' : ((r.errors || []).length ? 'warn' : 'ok');
        var card = el('article', 'card level-' + level,
          el('div', 'card-head', el('h3', null, r.name + (r.type && r.type !== r.name ? ' (' + r.type + ')' : ''))),
          el('div', 'stats', stat(t.reportPending, r.pending), stat(t.reportDone, r.reported), stat(t.callsToday, r.calls_today)),
          el('p', 'meta', t.lastReport + '：' + fmtTime(r.last_report, t, null, locale())));
        if (r.last_error) { card.appendChild(el('p', 'error', t.lastError + '：' + r.last_error)); }
        var errs = (r.errors || []).slice(0, 5);
        if (errs.length) {
          card.appendChild(el('p', 'meta', t.refused + '：'));
          card.appendChild(el.apply(null, ['ul', 'problems'].concat(errs.map(function (e) {
            return el('li', null, el('span', 'mono', e.sku), ' (' + e.store + ', ' + e.kind + ')：' + e.error);
          }))));
        }
        return card;
      }).concat(sources.map(function (s) {
        var level = s.last_error ? 'bad' : ((s.problems || []).length ? 'warn' : 'ok');
        var card = el('article', 'card level-' + level,
          el('div', 'card-head', el('h3', null, s.name + (s.type ? ' (' + s.type + ')' : ''))),
          el('div', 'stats', stat(t.sourceValues, s.values), stat(t.sourceChanged, s.changed)),
          el('p', 'meta', t.lastRun + '：' + fmtTime(s.last_run, t, null, locale())));
        if (s.last_error) { card.appendChild(el('p', 'error', t.lastError + '：' + s.last_error)); }
        var probs = (s.problems || []).slice(0, 5);
        if (probs.length) {
          card.appendChild(el('p', 'meta', t.badRows + '：'));
          card.appendChild(el.apply(null, ['ul', 'problems'].concat(probs.map(function (p) { return el('li', 'mono', p); }))));
        }
        return card;
      }));
      replace.apply(null, [$('reports')].concat(cards));
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
          el('td', null, b.store === '*' ? '*' : storeName(snap, b.store)),
          el('td', null, word(t.kind, b.ticket)),
          printerCell(b.printers || []),
          el('td', 'num', b.copies),
          printerCell(b.backup ? [b.backup] : []));
      })));
    }

    function renderAlerts(t) {
      var list = snap ? (snap.alerts || []).map(function (a) { return { level: a.level, kind: a.kind, text: alertText(a, t, snap) }; }) : [];
      var fresh = connected && Date.now() - lastMessage <= 3 * heartbeat;
      if (!connected && lastMessage) {
        list.unshift({ level: 'warn', kind: 'connection', text: t.alertDisconnected });
      } else if (connected && !fresh) {
        list.unshift({ level: 'warn', kind: 'connection', text: t.alertStale });
      }
      var box = $('alerts');
      if (!list.length) {
        replace(box, snap ? el('p', 'alert level-ok', t.allGood) : el('p', 'alert level-warn', t.connecting));
      } else {
        replace.apply(null, [box].concat(list.map(function (a) {
          var p = el('p', 'alert level-' + a.level, a.text);
          p.setAttribute('data-kind', a.kind);
          if (a.level === 'bad') { p.setAttribute('role', 'alert'); }
          return p;
        })));
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
        el('span', null, t.started + ' ' + fmtTime(snap.started, t, null, locale())),
        el('span', null, t.updated + ' ' + fmtTime(snap.now, t, null, locale())));
    }

    function render() {
      var t = TEXT[lang];
      applyStatic(t);
      renderView();
      renderConn(t);
      renderAlerts(t);
      if (!snap) { return; }
      renderToday(t);
      renderPrinters(t);
      renderTickets(t);
      renderPlatforms(t);
      renderReports(t);
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
        if (seenOrders === null) {
          seenOrders = {};
          newOrders(seenOrders, snap);
        } else if (newOrders(seenOrders, snap).length) {
          beep();
        }
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
    $('sound').addEventListener('click', function () {
      if (soundWanted && audioReady()) {
        soundWanted = false;
      } else {
        soundWanted = true;
        enableAudio();
        beep();
      }
      try { localStorage.setItem(SOUND_KEY, soundWanted ? 'on' : 'off'); } catch (e) { /* storage blocked */ }
      renderSound();
    });
    // Browsers start sound only after a click on the page: the first click
    // anywhere wakes it when sound was switched on before.
    document.addEventListener('click', function () { if (soundWanted) { enableAudio(); } }, true);
    // The dialog's answer is taken at once (not on its close event), so a
    // dialog opened right after another cannot receive the first one's answer.
    $('ask-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var ok = askOk;
      var v = { printer: $('ask-printer').value, reason: $('ask-reason').value };
      askOk = null;
      $('ask').close();
      if (ok) { ok(v); }
    });
    $('ask-cancel').addEventListener('click', function () { askOk = null; $('ask').close(); });
    $('ask').addEventListener('cancel', function () { askOk = null; });
    $('preview-close').addEventListener('click', function () { $('preview').close(); });
    window.addEventListener('hashchange', renderView);
    setInterval(function () {
      var t = TEXT[lang];
      renderConn(t);
      renderAlerts(t);
    }, 1000);
    if (soundWanted) { enableAudio(); }
    render();
    connect();
  })();
}
