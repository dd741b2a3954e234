// The live feed: one WebSocket to /api/v1/ws for the signed-in user (authenticated by the
// session cookie), reconnected with exponential back-off and full jitter, resumed from the
// seq of the last frame handled so nothing is missed (see README, "Live delivery").
//
// Subscribers get each frame ({type, seq, data}). Until the first "ready" the catch-up is
// skipped (the page loads through REST) and a {type: "reload"} frame follows "ready", as
// it does after a "resync": reload through REST then.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;
// Browsers hide protocol pings: an application ping notices a dead connection. A
// connection whose network went away can stay "open" for minutes (nothing tells TCP): one
// that has not answered a ping within PONG_WAIT_MS is given up and a new one opened.
const PING_EVERY_MS = 20000;
const PONG_WAIT_MS = 10000;
const NOT_AUTHENTICATED = 4401;

const listeners = new Set();
let socket = null;
let lastSeq = null;
let attempt = 0;
let retryTimer = null;
let pingTimer = null;
let pongTimer = null;
let wanted = false;
// Set until a "ready" after the page's load (or a resync): the frames before it are not
// handled one by one, the pages reload through REST instead.
let reloadPending = true;
let status = "offline";
const statusListeners = new Set();

function setStatus(next) {
  status = next;
  for (const fn of statusListeners) fn(next);
}

function emit(frame) {
  for (const fn of listeners) {
    try {
      fn(frame);
    } catch (err) {
      console.error("live listener failed", err);
    }
  }
}

/** Calls fn(frame) for every live frame; returns the unsubscribe function. */
export function onFrame(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Calls fn("live" | "connecting" | "offline") when the connection's state changes. */
export function onStatus(fn) {
  statusListeners.add(fn);
  fn(status);
  return () => statusListeners.delete(fn);
}

function url() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  // since=0 on the first connection returns the current last_seq (after a catch-up or a
  // resync); later connections resume after the last frame handled.
  return `${scheme}//${location.host}/api/v1/ws?since=${lastSeq === null ? 0 : lastSeq}`;
}

function connect() {
  clearTimeout(retryTimer);
  if (!wanted || socket) return;
  // Offline, an attempt can only fail (the browser logs it as an error); the "online"
  // event below reconnects at once. Retrying meanwhile raced the test that goes offline.
  if (navigator.onLine === false) {
    setStatus("offline");
    return;
  }
  setStatus("connecting");
  const ws = new WebSocket(url());
  socket = ws;
  let heardAt = 0;
  ws.onmessage = (event) => {
    heardAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame.type === "ready") {
      attempt = 0;
      if (frame.data && frame.data.last_seq !== null && frame.data.last_seq !== undefined) {
        lastSeq = Math.max(lastSeq || 0, frame.data.last_seq);
      }
      setStatus("live");
      if (reloadPending) {
        reloadPending = false;
        emit({ type: "reload", seq: null, data: {} });
      }
      return;
    }
    if (frame.type === "resync") {
      lastSeq = frame.data.last_seq;
      reloadPending = true;
      return;
    }
    if (typeof frame.seq === "number") {
      if (lastSeq !== null && frame.seq <= lastSeq) return; // a repeat
      lastSeq = frame.seq;
      if (reloadPending) return; // the reload after "ready" covers it
    }
    if (frame.type === "pong") return;
    emit(frame);
  };
  ws.onopen = () => {
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const sentAt = Date.now();
      ws.send(JSON.stringify({ type: "ping", data: {} }));
      clearTimeout(pongTimer);
      pongTimer = setTimeout(() => {
        if (heardAt < sentAt) drop(ws);
      }, PONG_WAIT_MS);
    }, PING_EVERY_MS);
  };
  ws.onclose = (event) => lost(ws, event.code);
}

/** Gives up a connection that still looks open (no pong, or the browser went offline). */
function drop(ws) {
  lost(ws, 1006);
  ws.close();
}

/** After a connection ends: "offline", then a new one after a back-off. Once per socket:
 * a dropped socket's own close event comes later (or never) and is ignored. */
function lost(ws, code) {
  if (socket !== ws) return;
  socket = null;
  clearInterval(pingTimer);
  clearTimeout(pongTimer);
  setStatus("offline");
  if (!wanted) return;
  if (code === NOT_AUTHENTICATED) {
    wanted = false;
    emit({ type: "session_ended", seq: null, data: {} });
    return;
  }
  // 1001: this replica is shutting down, another one answers at once.
  const ceiling = code === 1001 ? MIN_DELAY_MS : Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** attempt);
  attempt += 1;
  // Full jitter: clients cut off together do not all come back at the same moment.
  retryTimer = setTimeout(connect, Math.random() * ceiling);
}

/** Opens the feed (after login, or on load with a session). */
export function start() {
  wanted = true;
  connect();
}

/** Closes the feed (logout) and forgets the position. */
export function stop() {
  wanted = false;
  clearTimeout(retryTimer);
  clearInterval(pingTimer);
  clearTimeout(pongTimer);
  lastSeq = null;
  reloadPending = true;
  attempt = 0;
  if (socket) socket.close(1000);
  socket = null;
  setStatus("offline");
}

// A tab coming back online reconnects at once rather than at its back-off's end.
window.addEventListener("online", () => {
  if (wanted && !socket) connect();
});
// A tab going offline says so at once: its socket may look open for minutes.
window.addEventListener("offline", () => {
  if (socket) drop(socket);
});
