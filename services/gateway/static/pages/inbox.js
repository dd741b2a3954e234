// The inbox: conversations with unread badges, and one conversation with its messages,
// live as they arrive, scam warnings shown, report and block at hand.
//
// Each message body (and each name) is shown isolated, `dir="auto"` or <bdi>: a bidi
// control inside one (the server drops the overrides, U+202A-U+202E, but keeps the
// isolates and marks RTL writers need) cannot reorder the text around it, and an Arabic
// or Hebrew message reads right to left in an English page.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { del, get, post } from "../api.js";
import { useLive, useSession } from "../session.js";
import { Alert, Badge, Empty, Field, Loading, ShowMore, Status, Verified, fmtTime, fmtWhen, focusLost, overLimit, useForm, useLoad, useMore, useRetryWhenUnreachable } from "../ui.js";
import { ReportForm, SafetyActions } from "./profile.js";

const name = (other) => other.display_name || "A Wardmate user";

// Every row says what it is about, so two threads with one person never look alike.
function aboutText(about) {
  if (!about) return "Direct messages";
  return `${about.kind === "booking" ? "Booking" : "Mentorship"}${about.title ? `: ${about.title}` : ""}`;
}

export function Inbox() {
  const state = useLoad(() => get("/conversations", { limit: 50 }), []);
  const list = useMore(state, (cursor) => get("/conversations", { limit: 50, cursor }));
  // "conversation": the other person deleted their account (the name and bodies changed).
  useLive(["message", "unread", "read", "conversation"], () => state.reload());
  return html`<section>
    <h1>Inbox</h1>
    <${Loading} state=${state}>${() => list.items.length === 0
      ? html`<${Empty}>No conversations yet. Booking requests, mentorships and messages appear here.</${Empty}>`
      : html`<ul class="conversations" aria-label="Conversations">${list.items.map((c) => html`<li key=${c.id} class=${c.unread_count ? "unread" : ""}>
          <a href=${`#/inbox/${c.id}`}>
            <span class="who"><bdi>${name(c.other)}</bdi>${c.other.suspended ? " · suspended by Wardmate" : ""} <${Badge} count=${c.unread_count} label="unread" />
              ${c.last_message && html`<time class="when" datetime=${c.last_message.created_at}>${fmtWhen(c.last_message.created_at)}</time>`}</span>
            <span class="about-line"><span class="about">${aboutText(c.about)}</span>${c.about && c.about.status ? html`<span class="about-status"> (${c.about.status})</span>` : ""}</span>
            ${c.last_message && html`<span class="last" dir="auto">${c.last_message.body}</span>`}
          </a>
        </li>`)}</ul>
        <${ShowMore} list=${list} label="Older conversations" />`}<//>
  </section>`;
}

const SCAM_LABEL = "Possible scam:";
/** A flagged message's warning after its label. Messaging writes it whole ("Possible scam:
 * this message asks …. Pay only through Wardmate … Never pay a host by wire, gift card or
 * app …", services/messaging/scam.py): the page showed the label twice and added a "Never
 * pay outside Wardmate." that the advice already gives. */
const scamAdvice = (warning) => (warning.startsWith(SCAM_LABEL) ? warning.slice(SCAM_LABEL.length).trim() : warning);

// The messages reported while the app is open: a message reported, then shown again (the
// conversation left and opened again) offered "Report message" anew, and each report of it
// said "Reported." once more.
const reportedIds = new Set();

/** `gone`: its sender deleted their account (the body is removed): nothing to report.
 * `otherName`: the other person's name, said for their messages (the host's view said
 * "Them" for the student's). */
function MessageItem({ m, mine, otherName, gone = false }) {
  const [reporting, setReporting] = useState(false);
  const [reported, setReported] = useState(() => reportedIds.has(m.id));
  const reportButton = useRef(null);
  const reportedNote = useRef(null);
  const justReported = useRef(false);
  useEffect(() => {
    // The button pressed is gone with the report sent: focus goes to what replaced it.
    if (reported && justReported.current && reportedNote.current) reportedNote.current.focus();
    justReported.current = false;
  }, [reported]);
  const who = m.kind === "system" ? "Wardmate" : mine ? "You" : otherName;
  return html`<li class=${`msg ${m.kind === "system" ? "system" : mine ? "mine" : "theirs"}${m.warning ? " flagged" : ""}`}>
    <p class="meta">${m.kind === "system"
      ? html`<strong class="from">Wardmate</strong> · `
      : html`<span class="sr"><bdi>${who}</bdi>, </span>`}${fmtTime(m.created_at)}</p>
    ${m.warning && html`<p class="warning" role="note"><strong>${SCAM_LABEL}</strong> ${scamAdvice(m.warning)}</p>`}
    <p class="body" dir="auto">${m.body}</p>
    ${!mine && !gone && m.kind === "text" && !reported && html`<button type="button" class="link small" ref=${reportButton} aria-expanded=${reporting ? "true" : "false"}
      onClick=${() => setReporting(!reporting)}>Report message</button>`}
    ${reporting && html`<${ReportForm} target=${{ message_id: m.id }} onDone=${(sent) => {
      setReporting(false);
      if (sent) {
        reportedIds.add(m.id);
        justReported.current = true;
        setReported(true);
      } else reportButton.current.focus();
    }} />`}
    ${reported && html`<p class="small reported" role="status" tabindex="-1" ref=${reportedNote}>Reported</p>`}
  </li>`;
}

// Enter adds a line in the message box and nothing said what sends: the keys, as the
// reader's keyboard names them (⌘ on a Mac, an iPhone or an iPad).
const platform = (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || "";
// None on a touch screen without a keyboard's pointer (a phone read "Ctrl+Enter sends").
const SEND_KEYS = !window.matchMedia("(any-pointer: fine)").matches ? undefined
  : /mac|iphone|ipad/i.test(platform) ? "⌘+Enter sends" : "Ctrl+Enter sends";
const MESSAGE_LIMIT = 4000;

// Opened by URL: a conversation between two other people, or none (the API answers 404
// alike). It said only "Conversation not found", in red, with no heading and no way back.
function ConversationGone() {
  return html`<section>
    <h1>This conversation is not here</h1>
    <p>It was deleted, or it is between two other people.</p>
    <p><a href="#/inbox">Your inbox</a></p>
  </section>`;
}

/** `query.listing`: the room whose "Message the host" opened this conversation. */
export function ConversationPage({ id, query = {} }) {
  const { me, refreshUnread } = useSession();
  const conv = useLoad(() => get(`/conversations/${id}`), [id]);
  // Whether the reader blocked the other person: a blocked conversation read "Safety: block
  // or report …" with a working message box, refused only once a message was sent.
  const otherId = conv.data && !conv.data.other.deleted ? conv.data.other.id : null;
  const blockState = useLoad(() => (otherId ? get(`/users/${otherId}/block`) : Promise.resolve(null)), [otherId]);
  const [blockChanged, setBlockChanged] = useState(null);
  useEffect(() => setBlockChanged(null), [otherId]);
  const blocked = blockChanged ? blockChanged.blocked : Boolean(blockState.data && blockState.data.blocked);
  // Until the block is known, neither Safety nor the message box shows: a reload of a
  // blocked conversation offered "block" and a working box for a moment, then "unblock".
  const blockKnown = Boolean(blockChanged) || !otherId || !blockState.loading;
  const [blockError, setBlockError] = useState(null);
  async function unblock() {
    setBlockError(null);
    try {
      setBlockChanged(await del(`/users/${otherId}/block`));
    } catch (err) {
      setBlockError(err);
    }
  }
  const [messages, setMessages] = useState(null);
  const [older, setOlder] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [body, setBody] = useState("");
  // One client id per message written (a new one once the text changes or it is sent): Ctrl+Enter
  // twice, before the first answer, sent it twice under two ids; the API keeps one per id.
  const draftId = useRef(null);
  const form = useForm();
  const endRef = useRef(null);
  const composer = useRef(null);
  const idRef = useRef(id);
  idRef.current = id;
  const typed = useRef(body);
  typed.current = body;

  // A load answers with the messages as they were when it was read, but a live message
  // can arrive after that read and before the answer: it is kept in the load's "arrived"
  // list and added to the answer. Only the newest load applies (an older one finishing
  // last once overwrote the newest messages, and a frame before the first answer was lost).
  const loads = useRef({ n: 0, arrived: [] });
  async function loadMessages() {
    const load = { n: loads.current.n + 1, arrived: [] };
    loads.current = load;
    try {
      const page = await get(`/conversations/${idRef.current}/messages`, { limit: 50 });
      if (loads.current !== load) return;
      const loaded = page.items.slice().reverse();
      const ids = new Set(loaded.map((m) => m.id));
      setMessages([...loaded, ...load.arrived.filter((m) => !ids.has(m.id))]);
      setOlder(page.next_cursor);
      setLoadError(null);
      markRead();
    } catch (err) {
      if (loads.current === load) setLoadError(err);
    }
  }
  function markRead() {
    post(`/conversations/${idRef.current}/read`, {}).then(refreshUnread, () => {});
  }
  useEffect(() => {
    setMessages(null);
    loadMessages();
  }, [id]);
  useRetryWhenUnreachable(loadError, loadMessages);
  useLive(["message", "conversation"], (frame) => {
    // The other person deleted their account ("conversation": this one as it now is):
    // their name, their messages' bodies and whether one can still write here changed.
    if (frame.type === "conversation" && frame.data.id !== idRef.current) return undefined;
    if (frame.type === "reload" || frame.type === "conversation") {
      conv.reload();
      return loadMessages();
    }
    const m = frame.data;
    if (m.conversation_id !== idRef.current) return undefined;
    loads.current.arrived.push(m);
    setMessages((list) => (list && !list.some((x) => x.id === m.id) ? [...list, m] : list));
    if (m.sender_id !== me.user.id) markRead();
    return undefined;
  });
  // Open at the newest message, just above the composer pinned to the bottom (on a phone
  // it covered the latest messages): the end marker keeps the composer's height below it.
  // Also once the conversation's header arrives, which may be after the messages, and once
  // the composer shows (when the block is known).
  useEffect(() => {
    const end = endRef.current;
    if (!end || !messages) return;
    const composer = end.nextElementSibling;
    end.style.scrollMarginBottom = `${composer ? composer.offsetHeight : 0}px`;
    end.scrollIntoView({ block: "end" });
  }, [messages && messages.length, Boolean(conv.data), blockKnown]);
  // And kept there while the page settles (3 s), until the reader scrolls or types: once,
  // under load, a test found the newest message under the composer; a change of height
  // above the thread after the scroll is the likely cause (not seen: it did not happen again).
  useEffect(() => {
    const end = endRef.current;
    if (!end || !messages || typeof ResizeObserver !== "function") return undefined;
    let reading = false;
    const leave = () => { reading = true; };
    const keep = new ResizeObserver(() => {
      if (reading || !end.isConnected) return;
      const composer = end.nextElementSibling;
      end.style.scrollMarginBottom = `${composer ? composer.offsetHeight : 0}px`;
      end.scrollIntoView({ block: "end" });
    });
    keep.observe(document.body);
    const events = ["wheel", "touchstart", "keydown", "mousedown"];
    for (const name of events) window.addEventListener(name, leave, { passive: true });
    const done = setTimeout(() => keep.disconnect(), 3000);
    return () => {
      clearTimeout(done);
      keep.disconnect();
      for (const name of events) window.removeEventListener(name, leave);
    };
  }, [id, Boolean(messages)]);

  // Opened from a room: the pair's one direct thread (a booking has its own) read
  // "Direct messages", and the host could not tell which room the student asked about. The
  // message starts by naming it, for the student to finish or change: once per thread and
  // room, never over text already typed, with the cursor at its end.
  const listingId = query.listing;
  const direct = Boolean(conv.data && !conv.data.about);
  const referred = useRef(null);
  // The words naming the room, alone: no message yet (one click sent them, a message about
  // nothing).
  const referredAs = useRef(null);
  const unwritten = (text) => !text.trim() || text.trim() === referredAs.current;
  const cursorToEnd = useRef(false);
  useEffect(() => {
    const key = `${id}/${listingId}`;
    if (!listingId || !direct || referred.current === key) return;
    referred.current = key;
    get(`/listings/${listingId}`).then((listing) => {
      if (idRef.current !== id || typed.current) return;
      cursorToEnd.current = true;
      referredAs.current = `About your room “${listing.title}”:`;
      setBody(`${referredAs.current} `);
    }, () => {}); // a room that is gone: the box stays empty
  }, [id, listingId, direct]);
  // Opened, focus goes to the heading, as on other pages. The router's focusHeading gives up
  // after 2 s without a heading, and this one comes with the conversation's answer: a slow
  // answer, or a page loaded at this URL (no hashchange), left focus on the page's body.
  const headed = useRef(null);
  useEffect(() => {
    if (!conv.data || headed.current === id) return;
    headed.current = id;
    const heading = document.querySelector("#main h1");
    if (!heading || !focusLost()) return;
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }, [id, Boolean(conv.data)]);
  // Unblocked: the button pressed is gone, and the message box is back in its place.
  // Blocked under Safety (which is drawn anew): the notice in the box's place takes focus.
  const blockedNotice = useRef(null);
  useEffect(() => {
    if (!blockChanged || !focusLost()) return;
    if (!blockChanged.blocked && composer.current) composer.current.querySelector("textarea").focus();
    if (blockChanged.blocked && blockedNotice.current) blockedNotice.current.focus();
  }, [blockChanged]);
  useEffect(() => {
    const box = cursorToEnd.current && composer.current && composer.current.querySelector("textarea");
    if (!box) return;
    cursorToEnd.current = false;
    // Unless the reader went on elsewhere: focus is on the page, or on the heading the
    // page gave it when it opened.
    const active = document.activeElement;
    if (!focusLost() && active !== document.querySelector("#main h1")) return;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }, [body, blockKnown]);

  async function loadOlder() {
    const page = await get(`/conversations/${id}/messages`, { limit: 50, before: older });
    // Functional: a live message that arrived meanwhile stays.
    setMessages((list) => [...page.items.slice().reverse(), ...(list || [])]);
    setOlder(page.next_cursor);
  }
  async function onSubmit(e) {
    e.preventDefault();
    // Over the limit the field says "shorten it to send": Send waits (it sent, to a 400).
    if (unwritten(body) || overLimit(body, MESSAGE_LIMIT)) return;
    draftId.current = draftId.current || `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const clientId = draftId.current;
    const sent = await form.submit(() => post(`/conversations/${id}/messages`, { body, client_message_id: clientId }));
    if (!sent && otherId) {
      // Refused: perhaps because the reader blocked them meanwhile (under Safety).
      get(`/users/${otherId}/block`).then(setBlockChanged, () => {});
    }
    if (sent) {
      draftId.current = null;
      setBody("");
      // Sent: a reload or Back to this page must not name the room again.
      // Unless another page was opened while it was sent (its hashchange reads the URL).
      if (listingId && location.hash.startsWith(`#/inbox/${id}?`)) history.replaceState(history.state, "", `#/inbox/${id}`);
      setMessages((list) => (list && !list.some((x) => x.id === sent.id) ? [...list, sent] : list));
      // Send is disabled while it sends and again once the box is empty, so focus fell to
      // the page: it goes back to the box, for the next message.
      if (focusLost() && composer.current) composer.current.querySelector("textarea").focus();
    }
  }
  return html`<${Loading} state=${conv} notFound=${html`<${ConversationGone} />`}>${(c) => html`<section class="conversation">
    <p><a href="#/inbox">← Inbox</a></p>
    <h1><bdi>${name(c.other)}</bdi>${c.other.deleted ? "" : html` <${Verified} verified=${c.other.verified} role=${c.other.role} />`}${c.other.suspended ? " · suspended by Wardmate" : ""}</h1>
    ${c.about && html`<p>${aboutText(c.about)} ${c.about.status && html`<${Status} status=${c.about.status} />`}
      ${c.about.kind === "booking" && html` · <a href="#/bookings">Bookings</a>`}${c.about.kind === "mentorship" && html` · <a href="#/mentorships">Mentorships</a>`}</p>`}
    ${!c.other.deleted && blockKnown && html`<details class="safety"><summary>Safety: ${blocked ? "unblock" : "block"} or report <bdi>${name(c.other)}</bdi></summary><${SafetyActions} key=${String(blocked)} userId=${c.other.id} canMessage=${false} onChange=${setBlockChanged} /></details>`}
    <${Alert} error=${loadError} />
    ${older && html`<button type="button" class="secondary" onClick=${loadOlder}>Older messages</button>`}
    ${messages === null ? html`<p class="loading" role="status">Loading…</p>`
      : messages.length === 0 ? html`<${Empty}>No messages yet. Say hello.</${Empty}>`
      : html`<ol class="messages" aria-label="Messages" aria-live="polite">${messages.map((m) => html`<${MessageItem} key=${m.id} m=${m} mine=${m.sender_id === me.user.id} otherName=${name(c.other)} gone=${c.other.deleted} />`)}</ol>`}
    <div ref=${endRef}></div>
    ${c.other.deleted ? html`<p class="notice" role="status">This user deleted their account: the conversation stays
      readable, but nothing can be sent here any more.</p>`
    : c.other.suspended ? html`<p class="notice" role="status">Wardmate suspended this account: nobody can read new
      messages here for now. Do not pay or share details outside Wardmate; if something went wrong, report it under Safety.</p>`
    : !blockKnown ? null
    : blocked ? html`<div class="notice" role="status" tabindex="-1" ref=${blockedNotice}><p>You blocked <bdi>${name(c.other)}</bdi>: neither of you can write to the other.</p>
      <button type="button" class="secondary" onClick=${unblock}>Unblock</button><${Alert} error=${blockError} /></div>`
    : html`<form class="composer" ref=${composer} onSubmit=${onSubmit} novalidate aria-label="Send a message">
      <${Field} as="textarea" label="Message" name="body" limit=${MESSAGE_LIMIT} rows="2" value=${body} onInput=${(e) => { draftId.current = null; setBody(e.currentTarget.value); }} error=${form.errors.body}
        hint=${SEND_KEYS} onKeyDown=${(e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) onSubmit(e); }} />
      <${Alert} error=${form.errors[""] || form.errors.client_message_id} />
      <button type="submit" disabled=${form.busy || unwritten(body) || overLimit(body, MESSAGE_LIMIT)}>Send</button>
    </form>`}
  </section>`}<//>`;
}
