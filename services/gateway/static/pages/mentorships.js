// Mentorships as student and as mentor: accept or decline requests within capacity.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { get, post } from "../api.js";
import { useLive, useSession } from "../session.js";
import {
  Alert, ConfirmButton, Empty, Loading, ShowMore, Status, Verified, cap, fmtDate, fmtDay, hospitalLabel, useFocusOnChange, useLoad, useMore,
} from "../ui.js";
import { openConversationAbout } from "./bookings.js";

/** Ended before the mentor answered: withdrawn by the student (the API's status is "ended"). */
const withdrawn = (m) => m.status === "ended" && !m.decided_at;

function MentorshipCard({ m, onChange }) {
  const [error, setError] = useState(null);
  const other = m.role === "mentor" ? m.student : m.mentor;
  // The other side deleted their account (which ended the mentorship): nobody to message,
  // no profile and no badge ("Deleted user Not verified" offered "Message").
  const { deleted } = other;
  // A request ended before the mentor answered (accept and decline stamp decided_at): the
  // student withdrew it. It read "Ended" and offered "Open plan", as if it had run.
  const status = withdrawn(m) ? "withdrawn" : m.status;
  // Accept, Decline and Withdraw leave with the old status: the status line takes focus.
  const settled = useFocusOnChange(status);
  // One action at a time, until the card shows its answer: Accept double-clicked sent twice,
  // and the second's refusal ("it can no longer be accepted") showed under "Accepted".
  // Accept is marked, not disabled, while busy: the second click's mousedown on a disabled
  // button put focus on the page's <main>, and the status line did not take it.
  const [busy, setBusy] = useState(false);
  const sending = useRef(false);
  useEffect(() => {
    if (!sending.current) setBusy(false);
  }, [m]);
  async function act(action) {
    if (sending.current || busy) return;
    sending.current = true;
    setBusy(true);
    setError(null);
    settled.expect();
    try {
      await post(`/mentorships/${m.id}/${action}`, {});
      sending.current = false;
      onChange(); // busy until the reload brings the card's new state
    } catch (err) {
      sending.current = false;
      setBusy(false);
      setError(err);
      settled.failed();
    }
  }
  const label = `${m.role === "mentor" ? "From" : "With"} ${other.display_name || "a user"}`;
  return html`<li class="card" aria-label=${label}>
    ${deleted ? html`<h3>${other.display_name}</h3>` : html`<h3><a href=${`#/users/${other.id}`}>${other.display_name || "A Wardmate user"}</a> <${Verified} verified=${other.verified} role=${m.role === "mentor" ? "student" : "professional"} /></h3>`}
    <p ref=${settled.ref} tabindex="-1">${m.role === "mentor" ? "Asked you" : "You asked"} on ${fmtDay(m.created_at)} · <${Status} status=${status} /></p>
    ${deleted && html`<p>${m.role === "mentor" ? "The student" : "Your mentor"} deleted their account, which ${status !== "withdrawn" ? "ended the mentorship" : m.role === "mentor" ? "withdrew the request" : "closed your request"}.</p>`}
    ${m.rotation && html`<p>For ${m.role === "mentor" ? "their" : "your"} ${cap(m.rotation.specialty)} rotation at ${hospitalLabel(m.rotation.hospital)},${" "}
      ${fmtDate(m.rotation.start_date)} – ${fmtDate(m.rotation.end_date)}</p>`}
    ${m.message && html`<p class="quote-text">“${m.message}”</p>`}
    ${m.mentor_full && html`<p class="notice">${m.role === "mentor"
      ? html`You have no places left: raise your mentoring capacity on your <a href="#/profile">profile</a>, or end a mentorship, to accept this request.`
      : html`${other.display_name || "This mentor"} has no places left right now. Your request waits until one frees up;
        or withdraw it and <a href="#/rotations">ask another mentor</a> from your rotation's matches.`}</p>`}
    ${m.role === "student" && status === "declined" && html`<p>${other.display_name || "This mentor"} could not take you on:
      <a href="#/rotations">ask another mentor</a> from your rotation's matches.</p>`}
    <p class="actions">
      ${m.role === "mentor" && m.status === "requested" && html`
        ${!m.mentor_full && html`<button type="button" aria-disabled=${busy ? "true" : undefined} onClick=${() => act("accept")}>Accept</button>`}
        <${ConfirmButton} label="Decline" question="Decline this request?" yes="Yes, decline" onConfirm=${() => act("decline")} />`}
      ${m.role === "student" && m.status === "requested" && html`<${ConfirmButton} label="Withdraw"
        question="Withdraw your request?" yes="Yes, withdraw" onConfirm=${() => act("end")} />`}
      ${m.status === "accepted" && html`<${ConfirmButton} label="End mentorship"
        question=${`End this mentorship? Its meetings not yet held are cancelled (${other.display_name || "they"} ${other.display_name ? "is" : "are"} told), and its plan can no longer change.`}
        yes="Yes, end it" onConfirm=${() => act("end")} />`}
      ${(status === "accepted" || status === "ended") && html`<a class="button" href=${`#/mentorships/${m.id}`}>Open plan</a>`}
      ${!deleted && html`<button type="button" class="secondary" onClick=${() => openConversationAbout("mentorship", m.id, other.id).catch(setError)}>Message</button>`}
    </p>
    <${Alert} error=${error} />
  </li>`;
}

export function Mentorships() {
  const { me } = useSession();
  const mentor = me.user.role === "professional";
  const role = mentor ? "mentor" : "student";
  const state = useLoad(() => get("/me/mentorships", { role, limit: 100 }), [role]);
  const list = useMore(state, (cursor) => get("/me/mentorships", { role, limit: 100, cursor }));
  // The places taken are counted from the accepted ones alone (at most the capacity, 50):
  // counted on the list, those older than its first page were missed.
  const taken = useLoad(() => (mentor ? get("/me/mentorships", { role, status: "accepted", limit: 100 }) : Promise.resolve(null)), [role]);
  const reload = () => {
    state.reload();
    taken.reload();
  };
  useLive(["notification"], (frame) => (frame.type === "reload" || String(frame.data.kind).startsWith("mentorship")) && reload());
  return html`<section>
    <h1>Mentorships</h1>
    ${mentor && html`<p>${me.profile.open_to_mentoring
      ? `You are open to mentoring, with a capacity of ${me.profile.mentoring_capacity} student${me.profile.mentoring_capacity === 1 ? "" : "s"}.`
      : "You are not open to mentoring."} <a href="#/profile">Change this in your profile</a>.</p>`}
    <${Loading} state=${state}>${() => {
      const cards = list.items.map((m) => html`<${MentorshipCard} key=${m.id} m=${m} onChange=${reload} />`);
      return html`
        ${mentor && html`<section aria-labelledby="as-mentor-h">
          <h2 id="as-mentor-h">Students who asked you</h2>
          ${taken.data && html`<p>${taken.data.items.length} of ${me.profile.mentoring_capacity} places taken.</p>`}
          ${cards.length === 0 ? html`<${Empty}>No requests yet.</${Empty}>`
            : html`<ul class="cards" aria-label="Mentorship requests">${cards}</ul>`}
        </section>`}
        ${!mentor && html`<section aria-labelledby="as-student-h">
          <h2 id="as-student-h">Your mentors</h2>
          ${cards.length === 0 ? html`<${Empty}>You have not asked anyone yet. Open a rotation to see mentors who match it.</${Empty}>`
            : html`<ul class="cards" aria-label="Your mentorships">${cards}</ul>`}
        </section>`}
        <${ShowMore} list=${list} label="Older mentorships" />`;
    }}<//>
  </section>`;
}
