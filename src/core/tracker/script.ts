// The browser tracker served at GET /t.js: hand-written ES5 (no build step, no
// dependencies) so any site can load it with one tag. It speaks Segment's HTTP API shape
// to opentime's /v1/batch, so the same ingestion handles it and any Segment library.
//
// Choices, and why:
// - Anonymous id in localStorage with a first-party cookie as fallback (private modes
//   and storage-blocked iframes throw on localStorage); both written, localStorage read first.
// - Bodies go as Content-Type text/plain with the write key inside the body (as Segment's
//   analytics.js does): that is a CORS "simple request", so a shop on another origin needs
//   no preflight. On the same origin the write key is also sent as Basic auth.
// - Cross-origin sends use mode "no-cors": the response is opaque, so only network errors
//   (not HTTP errors) are retried; same-origin sends retry 429/5xx and network errors.
// - On page hide (visibilitychange → hidden, pagehide) the queue goes out with
//   navigator.sendBeacon, or fetch keepalive where sendBeacon refuses; both cap bodies
//   near 64 KB, so the queue is split into chunks below that.
// - The queue is bounded (oldest dropped) so a page left open offline cannot grow memory.
// Keep it free of backticks and dollar-brace: it lives inside a TypeScript template literal.
export const TRACKER_JS = String.raw`/*! opentime.js | Segment-compatible browser tracker | Apache-2.0 */
(function (w, d) {
  "use strict";
  var prior = w.opentime;
  if (prior && prior.__opentime) return;
  var VERSION = "0.1.0", AID = "ot_aid", UID = "ot_uid";
  var MAX_QUEUE = 500, CHUNK_BYTES = 60000, PER_REQUEST = 100;
  var cfg = { writeKey: null, host: null, flushAt: 20, flushInterval: 2000 };
  var queue = [], timer = null;
  var script = d.currentScript;

  function cookie(k) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + k + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : null;
  }
  function read(k) {
    try { var v = w.localStorage.getItem(k); if (v) return v; } catch (e) {}
    try { return cookie(k); } catch (e) { return null; }
  }
  function write(k, v) {
    try { if (v === null) w.localStorage.removeItem(k); else w.localStorage.setItem(k, v); } catch (e) {}
    try {
      d.cookie = k + "=" + (v === null ? "" : encodeURIComponent(v)) + "; Max-Age=" + (v === null ? 0 : 31536000) +
        "; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
    } catch (e) {}
  }
  function uuid() {
    var c = w.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    var b = new Uint8Array(16), h = [], i;
    c.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") + "-" +
      h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }
  function anonymousId() {
    var id = read(AID);
    if (!id) { id = uuid(); write(AID, id); }
    return id;
  }
  function assign(to) {
    for (var i = 1; i < arguments.length; i++) {
      var from = arguments[i];
      if (from) for (var k in from) if (Object.prototype.hasOwnProperty.call(from, k)) to[k] = from[k];
    }
    return to;
  }
  function pageProps() {
    return { path: location.pathname, referrer: d.referrer, search: location.search, title: d.title, url: location.href };
  }
  function message(type, fields) {
    var tz;
    try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) {}
    var m = assign({
      type: type,
      messageId: uuid(),
      timestamp: new Date().toISOString(),
      anonymousId: anonymousId(),
      context: {
        library: { name: "opentime.js", version: VERSION },
        page: pageProps(),
        userAgent: navigator.userAgent,
        locale: navigator.language,
        timezone: tz
      }
    }, fields);
    var uid = read(UID);
    if (uid && !m.userId) m.userId = uid;
    return m;
  }
  function enqueue(m) {
    queue.push(m);
    if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
    if (!cfg.writeKey) return;
    if (queue.length >= cfg.flushAt) flush(false);
    else if (!timer) timer = setTimeout(function () { flush(false); }, cfg.flushInterval);
  }
  function endpoint() { return String(cfg.host || "").replace(/\/+$/, "") + "/v1/batch"; }
  function sameOrigin() {
    try { return new URL(endpoint(), location.href).origin === location.origin; } catch (e) { return false; }
  }
  function requeue(items) {
    queue = items.concat(queue);
    if (queue.length > MAX_QUEUE) queue.splice(MAX_QUEUE);
    if (!timer) timer = setTimeout(function () { flush(false); }, cfg.flushInterval * 2);
  }
  function send(items, unloading) {
    var body = JSON.stringify({ batch: items, sentAt: new Date().toISOString(), writeKey: cfg.writeKey });
    var small = body.length < CHUNK_BYTES;
    if (unloading && small && navigator.sendBeacon) {
      try { if (navigator.sendBeacon(endpoint(), new Blob([body], { type: "text/plain" }))) return; } catch (e) {}
    }
    if (!w.fetch) return;
    var same = sameOrigin();
    var headers = { "Content-Type": "text/plain" };
    if (same) headers.Authorization = "Basic " + btoa(cfg.writeKey + ":");
    w.fetch(endpoint(), {
      method: "POST", body: body, headers: headers, keepalive: small, credentials: "omit",
      mode: same ? "same-origin" : "no-cors"
    }).then(function (res) {
      if (same && (res.status === 429 || res.status >= 500)) requeue(items);
    }, function () { if (!unloading) requeue(items); });
  }
  function flush(unloading) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (!cfg.writeKey || !queue.length) return;
    var items = queue.splice(0, queue.length), chunk = [], size = 0;
    for (var i = 0; i < items.length; i++) {
      var n = JSON.stringify(items[i]).length;
      if (chunk.length && (size + n > CHUNK_BYTES - 200 || chunk.length >= PER_REQUEST)) { send(chunk, unloading); chunk = []; size = 0; }
      chunk.push(items[i]); size += n + 1;
    }
    if (chunk.length) send(chunk, unloading);
  }
  function product(p) {
    p = assign({}, p);
    if (p.id !== undefined && p.product_id === undefined) { p.product_id = String(p.id); delete p.id; }
    return p;
  }
  function products(o) {
    o = assign({}, o);
    if (o.products && o.products.map) o.products = o.products.map(product);
    return o;
  }

  var api = {
    __opentime: true,
    VERSION: VERSION,
    init: function (o) {
      o = o || {};
      if (o.writeKey) cfg.writeKey = String(o.writeKey);
      if (o.host) cfg.host = String(o.host);
      if (o.flushAt > 0) cfg.flushAt = o.flushAt;
      if (o.flushInterval > 0) cfg.flushInterval = o.flushInterval;
      if (queue.length) flush(false);
      return api;
    },
    page: function (name, properties) {
      if (typeof name === "object" && name !== null) { properties = name; name = undefined; }
      var m = { properties: assign(pageProps(), properties) };
      if (name) m.name = String(name);
      enqueue(message("page", m));
    },
    track: function (event, properties) {
      if (!event) return;
      enqueue(message("track", { event: String(event), properties: assign({}, properties) }));
    },
    identify: function (userId, traits) {
      if (typeof userId === "object" && userId !== null) { traits = userId; userId = undefined; }
      if (userId !== undefined && userId !== null) write(UID, String(userId));
      enqueue(message("identify", { traits: assign({}, traits) }));
    },
    alias: function (userId) {
      var previousId = read(UID) || anonymousId();
      write(UID, String(userId));
      enqueue(message("alias", { previousId: previousId, userId: String(userId) }));
    },
    reset: function () { write(UID, null); write(AID, null); },
    flush: function () { flush(false); },
    // The pre-load queue's push keeps working after load: opentime.push(["track", …]).
    push: function (call) { if (call && typeof api[call[0]] === "function") api[call[0]].apply(api, call.slice(1)); },
    anonymousId: anonymousId,
    productViewed: function (p) { api.track("Product Viewed", product(p)); },
    productClicked: function (p) { api.track("Product Clicked", product(p)); },
    productAdded: function (p) { api.track("Product Added", product(p)); },
    productRemoved: function (p) { api.track("Product Removed", product(p)); },
    productsSearched: function (query) { api.track("Products Searched", { query: String(query) }); },
    cartViewed: function (cart) { api.track("Cart Viewed", products(cart)); },
    checkoutStarted: function (order) { api.track("Checkout Started", products(order)); },
    orderCompleted: function (order) { api.track("Order Completed", products(order)); }
  };
  w.opentime = api;

  d.addEventListener("visibilitychange", function () { if (d.visibilityState === "hidden") flush(true); });
  w.addEventListener("pagehide", function () { flush(true); });

  // <script src=".../t.js" data-write-key="…" [data-host="…"] [data-page="false"]>:
  // the host defaults to where this script came from.
  var ds = script && script.dataset ? script.dataset : {};
  var host = ds.host;
  if (!host && script && script.src) { try { host = new URL(script.src).origin; } catch (e) {} }
  if (host) cfg.host = host;
  if (ds.writeKey) api.init({ writeKey: ds.writeKey });
  // Calls made before the script loaded: window.opentime = [["track", "Signed Up", {…}], …].
  if (prior && prior.length) for (var i = 0; i < prior.length; i++) api.push(prior[i]);
  if (ds.writeKey && ds.page !== "false") api.page();
})(window, document);
`;
