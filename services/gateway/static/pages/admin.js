// Operators: check and verify (or reject) professionals' credentials, handle the report queue,
// lift suspensions, see counts.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { ApiError, del, get, post } from "../api.js";
import { useSession } from "../session.js";
import {
  Alert, ConfirmButton, Empty, Field, Loading, Notice, ShowMore, cap, fmtTime, formError, useForm, useLoad, useMore, words,
} from "../ui.js";
import { AdminPayments } from "./admin_payments.js";
import { DocumentQueue } from "./documents.js";

// What was sent: a student verified by a document has no number to show (the document queue has it).
function credentialText(c) {
  if (c.kind === "npi") return html`NPI <strong>${c.npi}</strong>`;
  if (c.kind === "license") return html`Licence <strong>${c.license_number}</strong> (${c.license_state})`;
  return "A document (Verify documents)";
}

/** "1 open report", "2 open reports". */
const count = (n, thing) => `${n} ${thing}${n === 1 ? "" : "s"}`;

// Who did it and when, for the operators who come after: "by you" for the reader, as
// reports and suspensions say (a credential said "by Operator", the reader's own name).
const byWhom = (id, name, me) => (id && id === me.user.id ? " by you" : name ? ` by ${name}` : "");

function Credential({ c, onDecided }) {
  const { me } = useSession();
  const [reason, setReason] = useState("");
  const form = useForm();
  const what = c.kind === "npi" ? "NPI" : "licence";
  // The submission shown: a credential or name changed since, or decided by another
  // operator, is refused (409), not decided unseen.
  async function decide(decision) {
    if (decision === "rejected") {
      // A rejection says why: the professional reads the reason on their profile and in the mail.
      if (!reason.trim()) return form.refuse({ reason: "Say why you reject it: the professional reads this." });
      const body = { submitted_at: c.submitted_at, reason };
      if (await form.submit(() => post(`/admin/verifications/${c.user_id}/rejection`, body))) {
        onDecided(`${c.display_name}'s ${what}: rejected; they read why and may submit again.`);
      }
    } else if (reason.trim()) {
      // A verification carries no reason: what was typed went nowhere, unsaid.
      return form.refuse({ reason: "A reason goes with a rejection only: clear it to verify, or press Reject." });
    } else if (await form.submit(() => post(`/admin/verifications/${c.user_id}`, { submitted_at: c.submitted_at }))) {
      onDecided(`${c.display_name}'s ${what}: verified.`);
    }
  }
  return html`<li class="card" aria-label=${c.display_name}>
    <h3><a href=${`#/users/${c.user_id}`}>${c.display_name}</a></h3>
    <p>${c.email}</p>
    <p>${credentialText(c)}${" "}
      · sent ${fmtTime(c.submitted_at)}${c.verified_at ? ` · verified ${fmtTime(c.verified_at)}${byWhom(c.verified_by, c.verified_by_name, me)}` : ""}${c.status === "rejected" ? ` · rejected ${fmtTime(c.rejected_at)}${byWhom(c.rejected_by, c.rejected_by_name, me)}` : ""}</p>
    ${c.status === "rejected" && html`<p>Why: ${c.rejection_reason}</p>`}
    ${c.also_verified_for && c.also_verified_for.length > 0 && html`<p class="alert" role="note">This ${c.kind === "npi" ? "NPI" : "licence"} is
      already verified for ${c.also_verified_for.join(", ")}: one names one person. Check who this is before verifying.</p>`}
    ${c.status === "pending" && html`<form novalidate onSubmit=${(e) => e.preventDefault()}>
      <${Field} label="Reason (shown to them; required to reject)" name="reason" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} error=${form.errors.reason} />
      <p class="actions">
        <button type="button" disabled=${form.busy} onClick=${() => decide("verified")}>Verify <span class="sr">${c.display_name}</span></button>
        <button type="button" disabled=${form.busy} class="secondary" onClick=${() => decide("rejected")}>Reject <span class="sr">${c.display_name}</span></button>
      </p>
      <${Alert} error=${formError(form.errors, ["reason"])} />
    </form>`}
  </li>`;
}

// Keyed by its status where it is used: another status's list starts at its first page.
// A decided credential leaves the list with the button pressed: what was decided is said
// above it, and takes focus (it fell to the page).
function CredentialList({ status, onChange }) {
  const state = useLoad(() => get("/admin/verifications", { status, limit: 50 }), [status]);
  const list = useMore(state, (cursor) => get("/admin/verifications", { status, limit: 50, cursor }), (c) => c.user_id);
  const [said, setSaid] = useState(null);
  const decided = (text) => {
    setSaid({ text, at: Date.now() });
    state.reload();
    onChange();
  };
  return html`${said && html`<${Notice} focus key=${said.at}>${said.text}</${Notice}>`}
    <${Loading} state=${state}>${() => list.items.length === 0 ? html`<${Empty}>Nothing to check.</${Empty}>`
    : html`<ul class="cards" aria-label="Credentials">${list.items.map((c) => html`<${Credential} key=${c.user_id} c=${c} onDecided=${decided} />`)}</ul>
      <${ShowMore} list=${list} />`}<//>`;
}

function Verifications({ onChange }) {
  const [status, setStatus] = useState("pending");
  return html`<section aria-labelledby="verify-admin-h">
    <h2 id="verify-admin-h">Verify professionals</h2>
    <p>Check each NPI in the NPPES registry, or the licence with the state's board, then verify it, or reject it saying why (the professional reads the reason and may submit again).</p>
    <${Field} as="select" label="Credentials" name="verification_status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
      <option value="pending">Waiting for a check</option><option value="verified">Verified</option><option value="rejected">Rejected</option>
    <//>
    <${CredentialList} key=${status} status=${status} onChange=${onChange} />
  </section>`;
}

// What operators usually do about a report; the note says more when needed.
const OUTCOMES = [
  "Warned the reported user",
  "Asked the user to change the listing or content",
  "Suspended the reported user",
  "No violation found",
];
// A reported account deleted since: no one to warn, ask or suspend.
const GONE_OUTCOMES = ["No action: the account is deleted", "No violation found"];
// The one outcome the page carries out: the account is suspended as the report is resolved.
const SUSPEND = "Suspended the reported user";

/** Why an account is suspended, as the suspended list shows it: the report and the note. */
function suspensionReason(r, note) {
  const why = `Reported for ${words(r.reason)} by ${r.reporter_name || "a user no longer known"}${r.details ? `: ${r.details}` : ""}`;
  // Details that end their own sentence read "…outside Wardmate.. Note: …" with one more.
  return (note ? `${why}${/[.!?]$/.test(why) ? "" : "."} Note: ${note}` : why).slice(0, 500);
}

function ReportItem({ r, onChange }) {
  // No outcome until one is chosen: "Warned the reported user" came preset, and Resolve
  // alone recorded a warning nobody gave.
  const [outcome, setOutcome] = useState("");
  const [note, setNote] = useState("");
  const form = useForm();
  async function onSubmit(e) {
    e.preventDefault();
    if (!outcome) return form.refuse({ outcome: "Choose what was done about the report" });
    const resolution = note.trim() ? `${outcome}. ${note.trim()}` : `${outcome}.`;
    const resolved = await form.submit(async () => {
      if (outcome === SUSPEND) {
        try {
          await post(`/admin/users/${r.reported_user_id}/suspension`, { reason: suspensionReason(r, note.trim()) });
        } catch (err) {
          // Suspended already (another report of them): resolve this one too.
          if (!(err instanceof ApiError && err.status === 409 && /already suspended/.test(err.message))) throw err;
        }
      }
      return post(`/admin/reports/${r.id}/resolve`, { resolution });
    });
    if (!resolved) return;
    const who = r.reported_user_name || "the reported user";
    onChange(outcome === SUSPEND ? `Report resolved: ${who} is suspended (see Suspended accounts below).`
      : `Report resolved: ${resolution}`);
  }
  const { me } = useSession();
  // Messaging knows operators by the event their creation sends; one made before that
  // (or since deleted) has no name there.
  const resolver = r.resolved_by === me.user.id ? " by you"
    : r.resolved_by ? ` by ${r.resolved_by_name || "another operator"}` : "";
  const person = (id, name) => html`<a href=${`#/users/${id}`}>${name || "A user no longer known"}</a>`;
  // A deleted account has no profile to open ("User not found") and no one to act on.
  const gone = r.reported_user_deleted;
  return html`<li class="card">
    <h3>${cap(words(r.reason))} · ${fmtTime(r.created_at)}</h3>
    <p>Reported: ${gone ? "an account deleted since" : person(r.reported_user_id, r.reported_user_name)} · by ${person(r.reporter_id, r.reporter_name)}</p>
    ${gone && r.status !== "resolved" && html`<p class="notice">The reported account was deleted: there is no one left to warn or
      suspend. Resolve the report to close it.</p>`}
    ${r.message_body && html`<p class="quote-text">Message: “${r.message_body}”</p>`}
    ${r.details && html`<p>Details: ${r.details}</p>`}
    ${r.status === "resolved" ? html`<p>Resolved ${fmtTime(r.resolved_at)}${resolver}: ${r.resolution || "no note"}</p>`
      : html`<form class="inline-form" onSubmit=${onSubmit} novalidate aria-label=${`Resolve the report of ${r.reported_user_name || "a user"}`}>
        <${Field} as="select" label="Outcome" name="outcome" value=${outcome} onChange=${(e) => setOutcome(e.currentTarget.value)}
          error=${form.errors.outcome}
          hint=${outcome === SUSPEND ? "Resolving suspends the account at once: it is logged out and cannot log in, and its rooms leave search and booking." : undefined}>
          <option value="" disabled>Choose what was done</option>
          ${(gone ? GONE_OUTCOMES : OUTCOMES).map((o) => html`<option key=${o} value=${o}>${o}</option>`)}
        <//>
        <${Field} label="Note (optional)" name="resolution" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} error=${form.errors.resolution}
          hint=${`Only operators see this note. ${r.reporter_name || "The reporter"} is told only that the report was looked into and closed.`} />
        <${Alert} error=${formError(form.errors, ["outcome", "resolution"])} />
        <button type="submit" disabled=${form.busy}>Resolve</button>
      </form>`}
  </li>`;
}

// Keyed by its status where it is used, as CredentialList is.
// A resolved report leaves the open list with the form that had focus: what happened is
// said above the list, and focus goes there.
function ReportList({ status, onChange }) {
  const reports = useLoad(() => get("/admin/reports", { status, limit: 50 }), [status]);
  const list = useMore(reports, (cursor) => get("/admin/reports", { status, limit: 50, cursor }));
  const [said, setSaid] = useState(null);
  const box = useRef(null);
  useEffect(() => {
    if (said && box.current) box.current.focus();
  }, [said]);
  const resolved = (text) => {
    setSaid(text);
    reports.reload();
    onChange();
  };
  return html`<div ref=${box} tabindex="-1">${said && html`<${Notice}>${said}</${Notice}>`}</div>
    <${Loading} state=${reports}>${() => list.items.length === 0 ? html`<${Empty}>No reports.</${Empty}>`
    : html`<ul class="cards" aria-label="Reports">${list.items.map((r) => html`<${ReportItem} key=${r.id} r=${r} onChange=${resolved} />`)}</ul>
      <${ShowMore} list=${list} label="Older reports" />`}<//>`;
}

const suspensions = (cursor) => get("/admin/suspensions", { limit: 50, cursor });

function SuspendedItem({ a, onLift }) {
  const { me } = useSession();
  const by = a.suspended_by === me.user.id ? "you" : a.suspended_by_name || "an operator no longer known";
  return html`<li class="card" aria-label=${a.display_name}>
    <h3><a href=${`#/users/${a.user_id}`}>${a.display_name}</a></h3>
    <p>${a.email} · ${cap(words(a.role))}</p>
    <p>Suspended ${fmtTime(a.suspended_at)} by ${by}</p>
    <p>Why: ${a.reason}</p>
    <p class="actions">
      <${ConfirmButton} label=${html`Lift suspension <span class="sr">of ${a.display_name}</span>`}
        question=${`Lift the suspension of ${a.display_name}? They may log in again and their rooms return to search and booking.`}
        yes="Yes, lift it" onConfirm=${() => onLift(a)} />
    </p>
  </li>`;
}

/** The suspended accounts (`state`: the first page's useLoad, reloaded by the page when a
 * report is resolved as a suspension), each with "Lift suspension". The outcome is said
 * above the list, since the account's entry leaves it. */
function Suspensions({ state }) {
  const list = useMore(state, suspensions, (a) => a.user_id);
  const [outcome, setOutcome] = useState(null);
  const acting = useRef(false);
  const said = useRef(null);
  // The focused button leaves with its entry: focus goes to what was said instead.
  useEffect(() => {
    if (outcome && said.current) said.current.focus();
  }, [outcome]);
  async function lift(a) {
    if (acting.current) return;
    acting.current = true;
    setOutcome(null);
    try {
      await del(`/admin/users/${a.user_id}/suspension`);
      setOutcome({ notice: `${a.display_name}'s suspension is lifted: they may log in again, and their rooms are back in search and booking.` });
      state.reload();
    } catch (err) {
      const text = err instanceof ApiError ? err.message : String(err);
      setOutcome({ error: `Could not lift the suspension of ${a.display_name}: ${text}` });
      // Lifted already (by another operator): the list shows how things stand.
      if (err instanceof ApiError && err.status === 409) state.reload();
    } finally {
      acting.current = false;
    }
  }
  return html`<section aria-labelledby="suspended-h">
    <h2 id="suspended-h">Suspended accounts</h2>
    <p>A suspended account cannot log in and its rooms are out of search and booking. Lifting the suspension gives both back.
      Either way, whoever has a stay or mentorship under way with the account, or wrote with it in the last 30 days, is told in that conversation and by mail.</p>
    <div ref=${said} tabindex="-1">
      ${outcome && outcome.notice && html`<${Notice}>${outcome.notice}</${Notice}>`}
      <${Alert} error=${outcome && outcome.error} />
    </div>
    <${Loading} state=${state}>${() => list.items.length === 0 ? html`<${Empty}>No account is suspended.</${Empty}>`
      : html`<ul class="cards" aria-label="Suspended accounts">${list.items.map((a) => html`<${SuspendedItem} key=${a.user_id} a=${a} onLift=${lift} />`)}</ul>
        <${ShowMore} list=${list} label="Earlier suspensions" />`}<//>
  </section>`;
}

/** The operators' page; anyone else is told it is not theirs, and no section asks for
 * what the services would refuse them. */
export function Admin() {
  const { me } = useSession();
  if (me.user.role !== "admin") {
    return html`<section>
      <h1>Operators</h1>
      <p role="status">This page is for Wardmate operators. <a href="#/">Go home</a>.</p>
    </section>`;
  }
  return html`<${OperatorsPage} />`;
}

function OperatorsPage() {
  const [status, setStatus] = useState("open");
  const stats = useLoad(() => get("/admin/messaging/stats"), []);
  const suspended = useLoad(() => suspensions(), []);
  // A report resolved as a suspension adds an account to the suspended list.
  const reportsChanged = () => {
    stats.reload();
    suspended.reload();
  };
  return html`<section>
    <h1>Operators</h1>
    <p><a href="#/admin/rounds">Cohort match rounds</a>: pair students' rotations with mentors, stably.</p>
    <p><a href="#/admin/mentoring">Mentoring outcomes</a>: mentorships, meetings, check-ins and letters per hospital and month; stalled pairs.</p>
    <${Loading} state=${stats}>${(s) => html`<p>${count(s.messages, "message")}, ${s.flagged_messages} flagged as${" "}
      ${s.flagged_messages === 1 ? "a possible scam" : "possible scams"} (${s.flagged_last_24h} in the last 24 hours),${" "}
      ${count(s.reports_open, "open report")}, ${count(s.blocks, "block")}.</p>`}<//>
    <${Verifications} onChange=${stats.reload} />
    <${AdminPayments} />
    <${DocumentQueue} />
    <section aria-labelledby="reports-h">
      <h2 id="reports-h">Reports</h2>
      <${Field} as="select" label="Show" name="status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        <option value="open">Open</option><option value="resolved">Resolved</option><option value="all">All</option>
      <//>
      <${ReportList} key=${status} status=${status} onChange=${reportsChanged} />
    </section>
    <${Suspensions} state=${suspended} />
  </section>`;
}
