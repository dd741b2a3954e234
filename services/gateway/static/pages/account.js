// The account lifecycle: the pages mailed links open (confirm an address, reset a
// password, confirm a new address), "Forgot password?", and the settings page.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { ApiError, api, del, get, getAll, post } from "../api.js";
import { useSession } from "../session.js";
import { Alert, ConfirmButton, Field, Notice, cap, fmtDate, fmtMoney, formError, fmtTime, useForm, useLoad, Loading } from "../ui.js";
import { sayOnLogin } from "./auth.js";

// A mailed link the API refuses. Its 400s named the field ("token: Write at least 10
// characters.", "invalid request") or spoke of the token, which a person who opened a mail
// cannot act on: they read this, with the way to a new link.
const BAD_LINK = "This link is invalid or has expired.";

/** A token that cannot be one (none, or shorter or longer than the API takes), known
 * without asking. */
const unusable = (token) => !token || token.length < 10 || token.length > 2000;

const USED_LINK = "This link was already used.";

/** What to say of a refused link, or null when the error is not about the link. */
function linkProblem(error) {
  if (!(error instanceof ApiError) || error.code !== "validation") return null;
  const details = Array.isArray(error.details) ? error.details : [];
  if (details.some((d) => d && d.field === "token") || /invalid or has expired/.test(error.message)) return BAD_LINK;
  if (details.length) return null; // another field's error (a password too short): beside it
  // "this link was already used", "… for an address the account no longer uses".
  return `${cap(error.message)}.`;
}

/** Posts a mailed link's token once, and says how it went (`done(reply, user)`: `user`, who
 * this browser is logged in as, read again after the link took effect); a refused link says
 * what to do instead (`renew`). */
function LinkPage({ title, path, token, done, renew }) {
  const { me, refreshMe } = useSession();
  const [state, setState] = useState({ busy: true });
  useEffect(() => {
    if (unusable(token)) return setState({ bad: BAD_LINK });
    post(path, { token }).then(
      // Said once the session is read again: whose address changed is told by comparing it.
      (reply) => refreshMe().then(() => setState({ reply })),
      (error) => {
        const bad = linkProblem(error);
        setState(bad ? { bad } : { error });
      },
    );
  }, [token]);
  return html`<section class="narrow">
    <h1>${title}</h1>
    ${state.busy && html`<p role="status">Checking the link…</p>`}
    ${state.reply && html`<${Notice}>${done(state.reply, me && me.user)}<//>`}
    ${state.bad && html`<${Alert} error=${state.bad} /><p>${renew(me && me.user, state.bad)}</p>`}
    <${Alert} error=${state.error} />
    <p><a href="#/">Go to Wardmate</a> · ${me && me.user.role === "professional"
      ? html`<a href="#/listings/new">Post a room</a>` : html`<a href="#/search">Find a room</a>`}</p>
  </section>`;
}

// A new confirmation link comes from the banner at the top of every page while the
// address is unconfirmed (VerifyBanner), once logged in.
function renewVerification(user, bad) {
  // A link used once confirmed its address then (a second click, another device): it told
  // them to log in and ask for a new link, which a confirmed account is never offered.
  if (!user && bad === USED_LINK) return html`If you opened it before, your address is confirmed: just <a href="#/login">log in</a>. If it is not, log in and choose “Mail me a new link” at the top of the page.`;
  if (!user) return html`<a href="#/login">Log in</a>, then choose “Mail me a new link” to have a new one mailed.`;
  // The link may be another account's: this says only what is true of the one logged in.
  if (user.email_verified) return `This browser is logged in as ${user.email}, which is confirmed already: there is nothing more to do for it.`;
  return "Choose “Mail me a new link” at the top of the page to have a new one mailed.";
}

// A new link for an address change comes from making the change again.
function renewEmailChange(user) {
  if (!user) return html`<a href="#/login">Log in</a>, then change your address again in Settings to have a new link mailed.`;
  return html`Change your address again in <a href="#/settings">Settings</a> to have a new link mailed.`;
}

export function VerifyEmail({ query }) {
  return html`<${LinkPage} title="Confirm your address" path="/auth/verify-email" token=${query.token}
    done=${(r, user) => `Thank you: ${r.email} is confirmed.${user && user.email !== r.email
      ? ` This browser is logged in as ${user.email}, another account.` : ""}`} renew=${renewVerification} />`;
}

export function ConfirmEmail({ query }) {
  return html`<${LinkPage} title="Confirm your new address" path="/auth/confirm-email" token=${query.token}
    done=${(r, user) => (user && user.email !== r.email
      // Opened where another account is logged in: "Your address is now …" told them of
      // a change made to someone else's account.
      ? `The account this link was for now uses ${r.email}. This browser is logged in as ${user.email}, which is not changed.`
      : `Your address is now ${r.email}.`)} renew=${renewEmailChange} />`;
}

/** The kind a mailed "Stop these mails" link stops, read from its token (its signed part is
 * plain base64url JSON: {"p": {"u": user, "k": kind}}); null when it cannot be read. */
/** What a mailed link's token says of itself (its signature unchecked: for the page's
 * words only; the API checks it): `k`, an unsubscribe's kind; `e`, a reset's address. */
function linkSays(token, key) {
  try {
    const part = token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)).p[key] || null;
  } catch {
    return null;
  }
}
const unsubscribeKind = (token) => linkSays(token, "k");

/** A mail's "Stop these mails" link, opened in a browser (the gateway sends its GET here):
 * what it stops, asked before it is done. It answered 405 in JSON. */
export function Unsubscribe({ query }) {
  const token = query.token || "";
  const kind = unusable(token) ? null : unsubscribeKind(token);
  const [state, setState] = useState({});
  const done = useRef(null);
  useEffect(() => {
    if (state.reply && done.current) done.current.focus();
  }, [state.reply]);
  async function stop() {
    setState({ busy: true });
    try {
      setState({ reply: await api("POST", "/mail/unsubscribe", { query: { token }, body: {} }) });
    } catch (error) {
      setState(linkProblem(error) ? { bad: BAD_LINK } : { error });
    }
  }
  const what = kind === "digest" ? "the daily digest of unread messages"
    : state.reply ? `“${(state.reply.choices.find((c) => c.kind === kind) || { label: kind }).label}”` : null;
  const heading = !kind || state.bad ? "This link cannot stop mails" : state.reply ? "Mails stopped" : "Stop these mails?";
  return html`<section class="narrow">
    <h1>${heading}</h1>
    ${!kind ? html`<${Alert} error=${BAD_LINK} /><p>Choose what Wardmate mails you in <a href="#/settings">Settings</a>.</p>`
    : state.reply ? html`<p class="notice" role="status" tabindex="-1" ref=${done}>Done: Wardmate no longer mails you ${kind === "digest" ? what : html`about ${what}`}.
        You can turn it on again in <a href="#/settings">Settings</a>.</p>`
    : html`<p>${kind === "digest" ? "This link stops the daily digest of unread messages."
        : query.what ? `This link stops the mails Wardmate sends when: “${query.what}”.`
        : "This link stops one kind of mail from Wardmate: the kind of the mail it came in."} Mails about your
        account's security and safety notices always come.</p>
      <button type="button" disabled=${state.busy} onClick=${stop}>Stop these mails</button>`}
    ${state.bad && html`<${Alert} error=${state.bad} /><p>Choose what Wardmate mails you in <a href="#/settings">Settings</a>.</p>`}
    <${Alert} error=${state.error} />
    <p><a href="#/">Go to Wardmate</a></p>
  </section>`;
}

export function ForgotPassword() {
  const form = useForm();
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(null);
  async function onSubmit(e) {
    e.preventDefault();
    setSent(null); // a refusal now showed beside the last try's "a link is on its way"
    const reply = await form.submit(() => post("/auth/password-reset", { email }));
    if (reply) setSent(reply.message);
  }
  return html`<section class="narrow">
    <h1>Forgot your password?</h1>
    <p>Give the address you signed up with; we mail a link to choose a new password.</p>
    <form onSubmit=${onSubmit} novalidate>
      <${Field} label="Email" name="email" type="email" autocomplete="username" required value=${email}
        onInput=${(e) => setEmail(e.currentTarget.value)} error=${form.errors.email} />
      <${Alert} error=${formError(form.errors, ["email"])} />
      <button type="submit" disabled=${form.busy}>Mail me a link</button>
    </form>
    ${sent && html`<${Notice}>${sent}<//>`}
    <p><a href="#/login">Back to log in</a></p>
  </section>`;
}

export function ResetPassword({ query }) {
  const { me } = useSession();
  const form = useForm();
  // The account the link resets: opened where another one is logged in, the page neither
  // said whose password it set nor that the one logged in stayed so.
  const address = linkSays(query.token || "", "e");
  const someoneElse = Boolean(me && address && me.user.email.toLowerCase() !== address.toLowerCase());
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  // A link that cannot work says so before a new password is typed for nothing.
  const [bad, setBad] = useState(unusable(query.token) ? BAD_LINK : null);
  // Asked before the form shows: a used or replaced link said so only once a new password
  // had been typed for nothing. Null until known (the form waits).
  const [usable, setUsable] = useState(null);
  // The whole link pasted into the tab that opened a cut one: the same page, another token.
  useEffect(() => {
    let current = true;
    setBad(unusable(query.token) ? BAD_LINK : null);
    setDone(false);
    setUsable(null);
    if (!unusable(query.token)) {
      post("/auth/password-reset/check", { token: query.token }).then(
        () => current && setUsable(true),
        (error) => {
          if (!current) return;
          const problem = linkProblem(error);
          if (problem) setBad(problem);
          setUsable(true); // another failure (offline): the form, whose submit says why
        },
      );
    }
    return () => { current = false; };
  }, [query.token]);
  async function onSubmit(e) {
    e.preventDefault();
    const ok = await form.submit(async () => {
      try {
        return await post("/auth/password-reset/confirm", { token: query.token, password });
      } catch (error) {
        const problem = linkProblem(error);
        if (!problem) throw error;
        setBad(problem);
        return undefined;
      }
    });
    if (ok) setDone(true);
  }
  let body;
  if (done && someoneElse) {
    body = html`<${Notice} focus="lost">The password of ${address} is changed, and every device logged in to it was logged out.
      This browser is still logged in as ${me.user.email}.<//>`;
  } else if (done) body = html`<${Notice} focus="lost">Your password is changed and every device was logged out. <a href="#/login">Log in</a>.<//>`;
  else if (bad) {
    body = html`<${Alert} error=${bad} />
      <p><a href="#/forgot-password">Forgot password?</a> Give your address to have a new link mailed.</p>`;
  } else if (!usable) {
    body = html`<p role="status">Checking the link…</p>`;
  } else {
    body = html`<form onSubmit=${onSubmit} novalidate>
      <${Field} label="New password" name="password" type="password" autocomplete="new-password" required
        minlength="10" hint="At least 10 characters" value=${password}
        onInput=${(e) => setPassword(e.currentTarget.value)} error=${form.errors.password} />
      <${Alert} error=${formError(form.errors, ["password"])} />
      <button type="submit" disabled=${form.busy}>Set the new password</button>
    </form>`;
  }
  return html`<section class="narrow">
    <h1>Choose a new password</h1>
    ${address && !done && !bad && html`<p>For the Wardmate account of ${address}.</p>`}
    ${someoneElse && !done && !bad && html`<p class="notice">This browser is logged in as ${me.user.email}, another account:
      the link changes the password of ${address} only.</p>`}
    ${body}
  </section>`;
}

/** While ``active``, calls ``recheck`` whenever this tab comes back into view: what a
 * mailed link changes is often done in another tab or on another device. */
function useRecheckOnReturn(active, recheck) {
  useEffect(() => {
    if (!active) return undefined;
    const again = () => document.visibilityState === "visible" && recheck();
    document.addEventListener("visibilitychange", again);
    window.addEventListener("focus", again);
    return () => {
      document.removeEventListener("visibilitychange", again);
      window.removeEventListener("focus", again);
    };
  }, [active]);
}

/** Shown on every page while the address is not confirmed. */
export function VerifyBanner({ me }) {
  const { refreshMe } = useSession();
  const [state, setState] = useState({});
  const waiting = Boolean(me && me.user && !me.user.email_verified);
  // The link is often opened on another device or tab (the phone the mail went to): the
  // banner asks again whenever this tab comes back into view, and goes once confirmed.
  useRecheckOnReturn(waiting, refreshMe);
  if (!waiting) return null;
  async function resend() {
    try {
      setState({ sent: (await post("/me/verification-email")).message });
    } catch (error) {
      setState({ error });
      // "already confirmed": confirmed elsewhere since this page loaded.
      if (error.code === "conflict") refreshMe();
    }
  }
  return html`<div class="banner" role="region" aria-label="Confirm your address">
    <p>Confirm ${me.user.email} to ${me.user.role === "student" ? "request stays, ask for a mentor" : "publish rooms, answer requests"} and message people: follow the link we mailed you.${" "}
      <button type="button" class="link" onClick=${resend}>Mail me a new link</button></p>
    ${state.sent && html`<${Notice}>${state.sent}<//>`}
    <${Alert} error=${state.error} />
  </div>`;
}

const COUNTS = ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"];
/** What a new password did: the other sessions it logged out (the API's `revoked`), in
 * words, and the calendar link it replaced. It read "0 other session(s) logged out". */
function passwordChanged(revoked) {
  const done = "Password changed and calendar link replaced.";
  if (!revoked) return done;
  const count = COUNTS[revoked - 1] || String(revoked);
  return `${done} ${count} other ${revoked === 1 ? "device was" : "devices were"} logged out.`;
}

function ChangePassword({ onChanged }) {
  const form = useForm();
  const [f, setF] = useState({ current_password: "", new_password: "" });
  const [done, setDone] = useState(null);
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.value });
  async function onSubmit(e) {
    e.preventDefault();
    const reply = await form.submit(() => post("/me/password", f));
    if (reply) {
      setDone(passwordChanged(reply.revoked));
      setF({ current_password: "", new_password: "" });
      onChanged();
    }
  }
  return html`<form onSubmit=${onSubmit} novalidate aria-labelledby="pw-h">
    <h2 id="pw-h">Password</h2>
    <${Field} label="Current password" name="current_password" type="password" autocomplete="current-password"
      required value=${f.current_password} onInput=${set("current_password")} error=${form.errors.current_password} />
    <${Field} label="New password" name="new_password" type="password" autocomplete="new-password" required
      minlength="10" hint="At least 10 characters" value=${f.new_password} onInput=${set("new_password")}
      error=${form.errors.new_password} />
    <${Alert} error=${formError(form.errors, ["current_password", "new_password"])} />
    <button type="submit" disabled=${form.busy}>Change password</button>
    ${done && html`<${Notice}>${done}<//>`}
  </form>`;
}

function ChangeEmail({ me }) {
  const { refreshMe } = useSession();
  const form = useForm();
  const [f, setF] = useState({ new_email: "", password: "" });
  const [done, setDone] = useState(null);
  // The new address is confirmed from its mail, in another tab or on the phone: "Now:"
  // showed the old one here until reloaded.
  useRecheckOnReturn(true, refreshMe);
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.value });
  async function onSubmit(e) {
    e.preventDefault();
    const reply = await form.submit(() => post("/me/email", f));
    if (reply) setDone(reply.message);
  }
  return html`<form onSubmit=${onSubmit} novalidate aria-labelledby="email-h">
    <h2 id="email-h">Email address</h2>
    <p>Now: ${me.user.email} ${me.user.email_verified ? "(confirmed)" : "(not confirmed yet)"}</p>
    <${Field} label="New address" name="new_email" type="email" autocomplete="email" required value=${f.new_email}
      onInput=${set("new_email")} error=${form.errors.new_email} />
    <${Field} label="Password" name="password" type="password" autocomplete="current-password" required
      value=${f.password} onInput=${set("password")} error=${form.errors.password} />
    <${Alert} error=${formError(form.errors, ["new_email", "password"])} />
    <button type="submit" disabled=${form.busy}>Change address</button>
    ${done && html`<${Notice}>${done}<//>`}
  </form>`;
}

function Sessions() {
  const [version, setVersion] = useState(0);
  const state = useLoad(() => get("/me/sessions"), [version]);
  const [error, setError] = useState(null);
  // What a logout did, said, and focused: its button went with the device's line (focus
  // fell to the page), and "Log out other devices" said nothing at all.
  const [note, setNote] = useState(null);
  const noteRef = useRef(null);
  useEffect(() => {
    if (note && noteRef.current) noteRef.current.focus();
  }, [note]);
  const act = (fn, said) => async () => {
    setError(null);
    try {
      const reply = await fn();
      setVersion(version + 1);
      setNote({ text: said(reply) });
    } catch (err) {
      setError(err);
    }
  };
  const others = (r) => (r.revoked === 0 ? "No other device was logged in."
    : `${r.revoked === 1 ? "One other device was" : `${r.revoked} other devices were`} logged out.`);
  return html`<section aria-labelledby="sessions-h">
    <h2 id="sessions-h">Where you are logged in</h2>
    <${Loading} state=${state}>${(data) => html`<ul class="sessions">
      ${data.items.map((s) => html`<li key=${s.id}>
        <strong>${s.device}</strong>${s.current && " (this device)"}: since ${fmtTime(s.created_at)},
        last seen ${fmtTime(s.last_seen_at)}
        ${!s.current && html` <button type="button" class="link" aria-label=${`Log out ${s.device}, last seen ${fmtTime(s.last_seen_at)}`}
          onClick=${act(() => del(`/me/sessions/${s.id}`), () => `${s.device} is logged out.`)}>Log out</button>`}
      </li>`)}
    </ul>`}<//>
    ${note && html`<p class="notice" role="status" tabindex="-1" ref=${noteRef}>${note.text}</p>`}
    <button type="button" onClick=${act(() => post("/me/sessions/revoke-others"), others)}>Log out other devices</button>
    <${Alert} error=${error} />
  </section>`;
}

/** [[group, choices], ...] in the order the groups first appear. */
function groupsOf(choices) {
  const groups = new Map();
  for (const c of choices) groups.set(c.group, [...(groups.get(c.group) || []), c]);
  return [...groups];
}

function Preferences() {
  const state = useLoad(() => get("/me/notification-preferences"), []);
  const [prefs, setPrefs] = useState(null);
  const [saved, setSaved] = useState(null);
  const form = useForm();
  useEffect(() => state.data && setPrefs(state.data), [state.data]);
  // What the reader changed here, applied to the preferences as they are when saved: the
  // whole list as loaded was put back, undoing a mail's "Stop these mails" used meanwhile.
  const changed = useRef({ kinds: new Map(), digest: undefined });
  async function onSubmit(e) {
    e.preventDefault();
    const reply = await form.submit(async () => {
      const now = await get("/me/notification-preferences");
      const muted = new Set(now.muted_kinds);
      for (const [kind, on] of changed.current.kinds) (on ? muted.delete(kind) : muted.add(kind));
      const digest = changed.current.digest === undefined ? now.digest : changed.current.digest;
      return api("PUT", "/me/notification-preferences", { body: { muted_kinds: [...muted], digest } });
    });
    if (reply) {
      changed.current = { kinds: new Map(), digest: undefined };
      setPrefs(reply);
      setSaved("Preferences saved.");
    }
  }
  const toggle = (kind) => (e) => {
    const on = e.currentTarget.checked;
    changed.current.kinds.set(kind, on);
    const muted = new Set(prefs.muted_kinds);
    if (on) muted.delete(kind);
    else muted.add(kind);
    setPrefs({ ...prefs, muted_kinds: [...muted] });
  };
  function setDigest(on) {
    changed.current.digest = on;
    setPrefs({ ...prefs, digest: on });
  }
  return html`<form onSubmit=${onSubmit} aria-labelledby="prefs-h">
    <h2 id="prefs-h">Mail</h2>
    <${Loading} state=${state}>${() => prefs && html`<p>Mail me when:</p>
      ${groupsOf(prefs.choices).map(([group, choices]) => html`<fieldset key=${group}>
        <legend>${group}</legend>
        ${choices.map((c) => html`<label class="check" key=${c.kind}>
          <input type="checkbox" checked=${!prefs.muted_kinds.includes(c.kind)} onChange=${toggle(c.kind)} /> ${c.label}
        </label>`)}
      </fieldset>`)}
      <fieldset>
        <legend>Messages</legend>
        <label class="check"><input type="checkbox" checked=${prefs.digest}
          onChange=${(e) => setDigest(e.currentTarget.checked)} /> A daily digest of unread messages</label>
      </fieldset>`}<//>
    <p>Mails about your account's security always come.</p>
    <${Alert} error=${formError(form.errors, [])} />
    <button type="submit" disabled=${form.busy || !prefs}>Save mail preferences</button>
    ${saved && html`<${Notice}>${saved}<//>`}
  </form>`;
}

function CalendarFeed() {
  const state = useLoad(() => get("/me/calendar"), []);
  const [url, setUrl] = useState(null);
  const [note, setNote] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => state.data && setUrl(state.data.url), [state.data]);
  const shown = useRef(null);
  shown.current = url;
  // Another tab may have made a new link (or a new password replaced it) while this one
  // was hidden: read the current one when the tab is shown again, not a dead link until reload.
  useEffect(() => {
    async function reread() {
      if (document.visibilityState !== "visible") return;
      try {
        const current = (await get("/me/calendar")).url;
        if (shown.current && shown.current !== current) {
          setUrl(current);
          setNote("This link was replaced (in another tab or by a new password): this is the current one.");
        }
      } catch {
        // Offline or logged out: the page says so elsewhere; keep what is shown.
      }
    }
    document.addEventListener("visibilitychange", reread);
    return () => document.removeEventListener("visibilitychange", reread);
  }, []);
  async function copy() {
    try {
      await navigator.clipboard.writeText(url);
      setNote("Link copied.");
    } catch {
      setNote("Select the link and copy it.");
    }
  }
  async function rotate() {
    try {
      setUrl((await post("/me/calendar/rotate")).url);
      setNote("New link made; the old one no longer works.");
    } catch (err) {
      setError(err);
    }
  }
  return html`<section aria-labelledby="cal-h">
    <h2 id="cal-h">Calendar</h2>
    <p>Subscribe to this private link in Google, Apple or Outlook calendar: your stays, rotations and mentorship
      meetings appear and move with them. Anyone with the link can read it.</p>
    <${Loading} state=${state}>${() => url && html`<div>
      <${Field} label="Calendar link" name="calendar_url" readonly value=${url} />
      <p class="actions">
        <button type="button" onClick=${copy}>Copy link</button>
        <${ConfirmButton} label="Make a new link" yes="Yes, make a new link" onConfirm=${rotate}
          question="Make a new link? Calendars subscribed with the old link stop updating until you subscribe with the new one." />
      </p>
    </div>`}<//>
    ${note && html`<${Notice} key=${note} focus="lost">${note}<//>`}
    <${Alert} error=${error} />
  </section>`;
}

function Export() {
  const [error, setError] = useState(null);
  const [note, setNote] = useState(null);
  // One download at a time, said while it is gathered (a second click downloaded twice), and
  // an earlier refusal gone once one succeeds.
  const [busy, setBusy] = useState(false);
  async function download() {
    if (busy) return;
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      const data = await get("/me/export");
      const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "wardmate-export.json";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      setNote("Your data is downloading (wardmate-export.json).");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`<section aria-labelledby="export-h">
    <h2 id="export-h">Your data</h2>
    <p>Download everything Wardmate holds about you: account, profile, listings, stays, messages sent and received,
      notifications, rotations and mentorships.</p>
    <button type="button" aria-disabled=${busy ? "true" : undefined} onClick=${download}>${busy ? "Gathering your data…" : "Download my data"}</button>
    ${note && html`<${Notice}>${note}<//>`}
    <${Alert} error=${error} />
  </section>`;
}

/** The stays a deletion would cancel, each with what its guest gets back (the quote a
 * cancellation by this side gives): the form said the same paragraph to everyone, and a
 * guest learnt of a $1,607.04 refund from nowhere. */
function WhatDeletionCancels() {
  const state = useLoad(async () => {
    const open = (await Promise.all(["requested", "accepted", "confirmed"].map((status) => getAll("/me/bookings", { status })))).flat();
    return Promise.all(open.map(async (b) => ({
      b,
      quote: b.status === "confirmed" ? await get(`/bookings/${b.id}/refund-quote`).catch(() => null) : null,
    })));
  }, []);
  const line = ({ b, quote }) => {
    const what = b.status === "requested" ? (b.role === "guest" ? "your request is withdrawn" : "the request is cancelled")
      : b.status === "accepted" ? "the stay is cancelled (nothing was paid)"
      : quote ? `the stay is cancelled; ${b.role === "guest" ? "you get back" : "your guest gets back"} ${fmtMoney(quote.refund)} of the ${fmtMoney(quote.paid)} paid`
      : "the stay is cancelled and refunded as the paragraph above says";
    return html`<li key=${b.id}>${b.role === "host" ? "Hosting " : ""}“${b.listing_title}”, ${fmtDate(b.check_in)} – ${fmtDate(b.check_out)}: ${what}.</li>`;
  };
  return html`<${Loading} state=${state}>${(rows) => rows.length === 0
    ? html`<p>You have no stay or request under way: deleting cancels none.</p>`
    : html`<p>Deleting now cancels:</p><ul aria-label="What deleting cancels">${rows.map(line)}</ul>`}<//>`;
}

function DeleteAccount() {
  const { setMe } = useSession();
  const form = useForm();
  const [password, setPassword] = useState("");
  async function onSubmit(e) {
    e.preventDefault();
    const reply = await form.submit(() => api("DELETE", "/me", { body: { password } }));
    if (reply) {
      // The login page the user lands on says what became of the account (it said nothing).
      sayOnLogin(reply.message);
      setMe(null);
      location.hash = "#/";
    }
  }
  return html`<form onSubmit=${onSubmit} novalidate aria-labelledby="delete-h">
    <h2 id="delete-h">Delete your account</h2>
    <p>This cannot be undone. You are logged out everywhere; your listings are archived and their photos deleted;
      stays not yet over are cancelled (the other person is told; a paid stay is refunded: to your guests in full, or
      for the nights not yet stayed if the stay is under way; by the listing's cancellation policy if it is yours);
      your rotations and mentorship requests are removed; messages you sent stay with the other person under
      "Deleted user" without their words; your address can sign up again.</p>
    <${WhatDeletionCancels} />
    <${Field} label="Password to confirm" name="delete_password" type="password" autocomplete="current-password"
      required value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} error=${form.errors.password} />
    <${Alert} error=${formError(form.errors, ["password"])} />
    <button type="submit" class="danger" disabled=${form.busy}>Delete my account</button>
  </form>`;
}

export function Settings() {
  const { me } = useSession();
  // A new password replaces the calendar link and logs the other devices out: the feed's
  // and the devices' sections then read anew (the devices listed stayed until a reload).
  const [passwords, setPasswords] = useState(0);
  return html`<section>
    <h1>Settings</h1>
    <${ChangeEmail} me=${me} />
    <${ChangePassword} onChanged=${() => setPasswords(passwords + 1)} />
    <${Sessions} key=${passwords} />
    <${Preferences} />
    <${CalendarFeed} key=${passwords} />
    <${Export} />
    <${DeleteAccount} />
  </section>`;
}
