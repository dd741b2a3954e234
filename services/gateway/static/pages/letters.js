// Letters of recommendation (#/letters, #/letters/<id>): the student's dashboard by status
// and deadline and the form to ask; the writer's requests with the Letter ID and the
// student's profile on one page. Wardmate never receives the letter itself.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { get, getAll, post } from "../api.js";
import { useLive, useSession } from "../session.js";
import {
  Alert, ConfirmButton, Empty, Field, Loading, Notice, ShowMore, Status, fmtDate, formError, titleCase, today,
  useFocusOnChange, useForm, useLoad, useMore, useNames,
} from "../ui.js";
import { SpecialtyOptions, useListNames } from "../reference.js";

function deadline(l) {
  if (["submitted", "confirmed", "declined", "withdrawn", "expired"].includes(l.status)) return `deadline ${fmtDate(l.deadline)}`;
  return l.days_left === 0 ? "due today" : `due in ${l.days_left} day${l.days_left === 1 ? "" : "s"} (${fmtDate(l.deadline)})`;
}

/** The buttons of a request on its side. Each leaves with the status it acted on: `settled`
 * (useFocusOnChange of the status, on the line that shows it) takes focus there once the
 * new status shows. Declining and withdrawing ask twice. A later action clears an earlier
 * one's error (it stayed beside a success). */
function Actions({ letter, onChange, settled }) {
  const [error, setError] = useState(null);
  const form = useForm();
  const [day, setDay] = useState(today());
  const writer = letter.role === "writer";
  async function act(action) {
    setError(null);
    settled.expect();
    try {
      await post(`/letters/${letter.id}/${action}`, {});
      onChange();
    } catch (err) {
      setError(err);
      settled.failed();
    }
  }
  // A day the API refuses (after today, before the request) is said beside the date, which
  // takes focus (useForm); it showed as a banner under the form.
  async function submit(e) {
    e.preventDefault();
    setError(null);
    // Cleared, it read "Give a day from the request to today: Choose a date."
    if (!day) return form.refuse({ submitted_on: "Choose the day you uploaded it" });
    const done = await form.submit(() => post(`/letters/${letter.id}/submit`, { submitted_on: day }));
    if (!done) return;
    settled.expect();
    onChange();
  }
  // The API names the days it takes (any day that is today somewhere, from the request's
  // on): the request's day in this browser's zone was not the one it counted from.
  const refused = form.errors.submitted_on;
  // Matching's bounds ("Between Dec 4, 2026 and Dec 7, 2026.", a sentence as every field's
  // message is) after what they bound.
  const dayError = refused && (/^between /i.test(refused) ? `Give a day from the request to today: b${refused.slice(1)}` : refused);
  return html`<div>
    <p class="actions">
      ${writer && letter.status === "requested" && html`
        <button type="button" onClick=${() => act("accept")}>Agree to write</button>
        <${ConfirmButton} label="Decline" question=${`Decline to write this letter? ${letter.student.display_name || "The student"} is told.`}
          yes="Yes, decline" onConfirm=${() => act("decline")} />`}
      ${!writer && ["requested", "accepted"].includes(letter.status) && html`<${ConfirmButton} label="Withdraw request"
        question=${`Withdraw your request to ${letter.writer.display_name || "the writer"}? They are told.`}
        yes="Yes, withdraw" onConfirm=${() => act("withdraw")} />`}
      ${!writer && letter.status === "submitted" && html`<button type="button" onClick=${() => act("confirm")}>Confirm it arrived</button>`}
    </p>
    ${writer && letter.status === "accepted" && html`<form aria-label="Mark the letter submitted" novalidate onSubmit=${submit}>
      <${Field} label="Day you uploaded it to the AAMC Letter Writer Portal" name="submitted_on" type="date" value=${day}
        onInput=${(e) => setDay(e.currentTarget.value)} error=${dayError} />
      <button type="submit" disabled=${form.busy}>Mark submitted</button>
      <${Alert} error=${formError(form.errors, ["submitted_on"])} />
    </form>`}
    <${Alert} error=${error} />
  </div>`;
}

/** The waiver in the reader's words: the student reads of their own right. */
function waiver(letter) {
  if (letter.role === "writer") return letter.waived ? "Waived: the student will not see it" : "Not waived";
  return letter.waived ? "You waived your right to see it" : "You did not waive your right to see it";
}

/** What the writer does next: the API's how_to_submit (where to upload the letter, and not
 * to send the student a copy) while it is to be sent, then where it stands (the sending
 * instructions stayed on a letter already sent and confirmed). */
function writerNext(l) {
  const student = l.student.display_name || "The student";
  if (l.status === "submitted") return `You marked it uploaded${l.submitted_on ? ` on ${fmtDate(l.submitted_on)}` : ""}. ${student} checks that it arrived and confirms it here.`;
  if (l.status === "confirmed") return `${student} confirmed that it arrived. Thank you.`;
  if (l.status === "declined") return "You declined to write it.";
  if (l.status === "withdrawn") return `${student} withdrew this request.`;
  if (l.status === "expired") return "The deadline passed before the letter was sent.";
  return l.how_to_submit;
}

/** What happens next, from the student's side. */
function studentNext(l) {
  const name = l.writer.display_name;
  const writer = name || "the writer";
  const Writer = name || "The writer";
  const eras = l.application === "eras";
  switch (l.status) {
    case "requested":
      return `Waiting for ${writer} to answer. You can withdraw the request until the letter is sent.`;
    case "accepted":
      return `${Writer} agreed to write it, and sends it ${eras ? "through the AAMC Letter Writer Portal with your ERAS Letter ID" : "the way the program asks"}: Wardmate never receives the letter.`;
    case "submitted":
      return `${Writer} sent it${l.submitted_on ? ` on ${fmtDate(l.submitted_on)}` : ""}. Check that it arrived${eras ? " in MyERAS" : ""}, then confirm it here.`;
    case "confirmed":
      return "You confirmed that it arrived.";
    case "declined":
      return `${Writer} declined to write it. You can ask someone else.`;
    case "withdrawn":
      return "You withdrew this request.";
    case "expired":
      return "The deadline passed before the letter was sent. You can ask again with a new deadline.";
    default:
      return "";
  }
}

function LetterCard({ letter, onChange }) {
  const other = letter.role === "writer" ? letter.student : letter.writer;
  const settled = useFocusOnChange(letter.status);
  return html`<li class="card" aria-label=${`Letter ${letter.role === "writer" ? "for" : "from"} ${other.display_name || "a user"}`}>
    <h3 ref=${settled.ref} tabindex="-1"><a href=${`#/letters/${letter.id}`}>${letter.specialty}: ${letter.role === "writer" ? "for" : "from"} ${other.display_name || "a Wardmate user"}</a>${" "}
      <${Status} status=${letter.status} /></h3>
    <p>${deadline(letter)} · ${letter.programs} program${letter.programs === 1 ? "" : "s"} · ${letter.application === "eras" ? `ERAS, Letter ID ${letter.eras_letter_id}` : "Other application"}${" "}
      · ${waiver(letter)}</p>
    <${Actions} letter=${letter} onChange=${onChange} settled=${settled} />
  </li>`;
}

/** Everyone the student may ask, each once: their mentors, past and present, then the
 * hosts of stays they completed (named from their profiles). Every page of each list:
 * the first 100 mentorships left later mentors out. */
async function writersToAsk() {
  const mine = (status) => getAll("/me/mentorships", { role: "student", status });
  const [accepted, ended, stays] = await Promise.all([
    mine("accepted"),
    mine("ended"),
    getAll("/me/bookings", { role: "guest", status: "completed" }),
  ]);
  const mentors = new Map();
  for (const m of [...accepted, ...ended]) if (!mentors.has(m.mentor.id)) mentors.set(m.mentor.id, m.mentor.display_name || "Your mentor");
  const hostIds = [...new Set(stays.map((b) => b.host_id))].filter((id) => !mentors.has(id));
  // A host whose profile cannot be read (their account deleted) cannot be asked either.
  const hosts = await Promise.all(hostIds.map((id) => get(`/users/${id}`).then((u) => ({ id, name: u.display_name || "Your host" }), () => null)));
  return { mentors: [...mentors].map(([id, name]) => ({ id, name })), hosts: hosts.filter(Boolean) };
}

/** The form "Ask for a letter" opens, with focus on its first field. Each field left empty
 * is said beside it before anything is sent, focus on the first (only the writer was). */
function AskForm({ onDone }) {
  const form = useForm();
  const box = useRef(null);
  useEffect(() => {
    const first = box.current && box.current.querySelector("select, input");
    if (first) first.focus();
  }, []);
  const people = useLoad(writersToAsk, []);
  const [fields, setFields] = useState({ writer_id: "", specialty: "", programs: "20", deadline: "", application: "eras", eras_letter_id: "", waived: true, message: "" });
  const set = (name) => (e) => setFields({ ...fields, [name]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
  async function ask(e) {
    e.preventDefault();
    const missing = {};
    // Sent without one, the API's answer was about an id's format, not the choice missing.
    if (!fields.writer_id) missing.writer_id = "Choose who writes it";
    if (!fields.specialty.trim()) missing.specialty = "Give the specialty the letter is for";
    if (!fields.deadline) missing.deadline = "Choose the deadline";
    else if (fields.deadline <= today()) missing.deadline = "Choose a day after today";
    if (fields.application === "eras" && !fields.eras_letter_id.trim()) missing.eras_letter_id = "Give the Letter ID from the Letter Request Form";
    if (Object.keys(missing).length) return form.refuse(missing);
    const body = { ...fields, programs: Number(fields.programs) };
    if (body.application !== "eras") delete body.eras_letter_id;
    const made = await form.submit(() => post("/letters", body));
    if (made) onDone(made);
  }
  const { mentors = [], hosts = [] } = people.data || {};
  const option = (p) => html`<option key=${p.id} value=${p.id}>${p.name}</option>`;
  const nobody = people.data && mentors.length + hosts.length === 0;
  return html`<form ref=${box} onSubmit=${ask} novalidate aria-label="Ask for a letter">
    <h2>Ask for a letter</h2>
    <${Field} label="Who writes it" name="writer_id" as="select" value=${fields.writer_id} onChange=${set("writer_id")} error=${form.errors.writer_id}
      hint=${nobody ? "You can ask a mentor of yours, past or present, or the host of a stay you completed: you have neither yet"
        : "Your mentors, past and present, and the hosts of stays you completed"}>
      <option value="">Choose…</option>
      ${mentors.length > 0 && html`<optgroup label="Your mentors">${mentors.map(option)}</optgroup>`}
      ${hosts.length > 0 && html`<optgroup label="Hosts of stays you completed">${hosts.map(option)}</optgroup>`}
    <//>
    <${Alert} error=${people.error} />
    <${Field} label="Specialty" name="specialty" value=${fields.specialty} onInput=${set("specialty")} error=${form.errors.specialty} list="letter-specialties" />
    <${SpecialtyOptions} id="letter-specialties" />
    <${Field} label="How many programs" name="programs" type="number" min="1" max="200" value=${fields.programs} onInput=${set("programs")} error=${form.errors.programs} />
    <${Field} label="Deadline" name="deadline" type="date" value=${fields.deadline} onInput=${set("deadline")} error=${form.errors.deadline} />
    <${Field} label="Application" name="application" as="select" value=${fields.application} onChange=${set("application")}>
      <option value="eras">ERAS (residency)</option><option value="other">Another application</option>
    <//>
    ${fields.application === "eras" && html`<${Field} label="ERAS Letter ID" name="eras_letter_id" value=${fields.eras_letter_id} onInput=${set("eras_letter_id")}
      error=${form.errors.eras_letter_id} hint="From the Letter Request Form in MyERAS; it works for this one letter" />`}
    <${Field} label="I waive my right to see this letter" name="waived" type="checkbox" checked=${fields.waived} onChange=${set("waived")}
      hint="Under ERAS a waived letter is never shown to you; programs often read waived letters as more candid" />
    <${Field} label="Message to the writer" limit=${2000} name="message" as="textarea" value=${fields.message} onInput=${set("message")} error=${form.errors.message} />
    <button type="submit" disabled=${form.busy}>Send request</button>
    <${Alert} error=${formError(form.errors, ["writer_id", "specialty", "programs", "deadline", "eras_letter_id", "message"])} />
  </form>`;
}

export function Letters() {
  const { me } = useSession();
  const state = useLoad(() => get("/me/letters", { limit: 100 }), []);
  const list = useMore(state, (cursor) => get("/me/letters", { limit: 100, cursor }));
  const [asking, setAsking] = useState(false);
  // The request just sent, said (and focused) where the form was: the form left with the
  // button pressed and focus fell to the page.
  const [sent, setSent] = useState(null);
  useLive(["notification"], (frame) => (frame.type === "reload" || String(frame.data.kind).startsWith("letter")) && state.reload());
  const student = me.user.role === "student";
  return html`<section>
    <h1>Letters of recommendation</h1>
    <p>Wardmate tracks each request to its deadline and reminds the writer; the letter itself goes from the writer to the AAMC Letter Writer Portal, never through Wardmate.</p>
    ${student && (asking ? html`<${AskForm} onDone=${(made) => { setAsking(false); setSent(made); state.reload(); }} />`
      : html`<button type="button" onClick=${() => { setSent(null); setAsking(true); }}>Ask for a letter</button>`)}
    ${sent && html`<${Notice} focus key=${sent.id}>Request sent to ${sent.writer.display_name || "the writer"}: it is under Your letters.</${Notice}>`}
    <${Loading} state=${state}>${() => {
      const mine = list.items.filter((l) => l.role === "student");
      const toWrite = list.items.filter((l) => l.role === "writer");
      return html`
        ${toWrite.length > 0 && html`<h2>Letters you are asked to write</h2>
          <ul class="cards" aria-label="Letters to write">${toWrite.map((l) => html`<${LetterCard} key=${l.id} letter=${l} onChange=${state.reload} />`)}</ul>`}
        ${student && html`<h2>Your letters</h2>${mine.length === 0 ? html`<${Empty}>No letters requested yet.</${Empty}>`
          : html`<ul class="cards" aria-label="Your letters">${mine.map((l) => html`<${LetterCard} key=${l.id} letter=${l} onChange=${state.reload} />`)}</ul>`}`}
        ${!student && toWrite.length === 0 && html`<${Empty}>Nobody has asked you for a letter yet.</${Empty}>`}
        <${ShowMore} list=${list} />`;
    }}<//>
  </section>`;
}

/** What the writer reads of the student: countries, languages, specialties and hospitals by
 * name (it showed "University of Nigeria (NG)", "en, ig", "cardiology at THE JOHNS HOPKINS
 * HOSPITAL"), as the profile pages name them. */
function AboutStudent({ profile, rotations }) {
  const countryName = useNames("countries", profile.school_country ? [profile.school_country] : []);
  const languageName = useNames("languages", profile.languages);
  const names = useListNames();
  const list = (items, name = (x) => x) => items.map(name).join(", ") || "—";
  return html`<h2>About the student</h2><dl class="facts">
      <dt>Medical school</dt><dd>${profile.medical_school || "—"}${profile.school_country ? ` (${countryName(profile.school_country)})` : ""}</dd>
      <dt>Graduation</dt><dd>${profile.graduation_year || "—"}</dd>
      <dt>Specialties</dt><dd>${list(profile.specialties, names.specialty)}</dd>
      <dt>Organizations</dt><dd>${list(profile.organizations, names.organization)}</dd>
      <dt>Languages</dt><dd>${list(profile.languages, languageName)}</dd>
    </dl>
    ${rotations.length > 0 && html`<h3>Rotations at this hospital</h3><ul>${rotations.map((r) => html`<li key=${`${r.hospital_id} ${r.start_date} ${r.specialty}`}>
      ${names.specialty(r.specialty)} at ${titleCase(r.hospital_name)}, ${fmtDate(r.start_date)} to ${fmtDate(r.end_date)}</li>`)}</ul>`}`;
}

/** One request, from either side; its status line takes focus once an action changed it. */
function Letter({ l, onChange }) {
  const settled = useFocusOnChange(l.status);
  return html`
    <h1>Letter of recommendation: ${l.specialty}</h1>
    <p ref=${settled.ref} tabindex="-1"><${Status} status=${l.status} /> · ${deadline(l)} · <a href="#/letters">All letters</a></p>
    <dl class="facts">
      <dt>Student</dt><dd>${l.student.display_name || "A Wardmate user"}</dd>
      <dt>Writer</dt><dd>${l.writer.display_name || "A Wardmate user"}</dd>
      <dt>Application</dt><dd>${l.application === "eras" ? "ERAS" : "Another application"}, ${l.programs} program${l.programs === 1 ? "" : "s"}</dd>
      ${l.eras_letter_id && html`<dt>ERAS Letter ID</dt><dd>${l.eras_letter_id}</dd>`}
      <dt>Waiver</dt><dd>${l.role === "writer" ? (l.waived ? "The student waived the right to see it" : "The student did not waive the right to see it") : waiver(l)}</dd>
      ${l.submitted_on && html`<dt>Uploaded</dt><dd>${fmtDate(l.submitted_on)}</dd>`}
    </dl>
    ${l.message && html`<p class="quote-text">“${l.message}”</p>`}
    <p>${l.role === "writer" ? writerNext(l) : studentNext(l)}</p>
    ${l.student_profile && html`<${AboutStudent} profile=${l.student_profile} rotations=${l.rotations} />`}
    <${Actions} letter=${l} onChange=${onChange} settled=${settled} />`;
}

// Opened by URL: another pair's request, or none (the API answers 404 alike). It said only
// "Letter not found", in red, with no heading and no way back.
function LetterGone() {
  return html`<section>
    <h1>This letter request is not here</h1>
    <p>It was deleted, or it is between two other people.</p>
    <p><a href="#/letters">Your letters</a></p>
  </section>`;
}

export function LetterPage({ id }) {
  const state = useLoad(() => get(`/letters/${id}`), [id]);
  useLive(["notification"], (frame) => (frame.type === "reload" || String(frame.data.kind).startsWith("letter")) && state.reload());
  return html`<${Loading} state=${state} notFound=${html`<${LetterGone} />`}>${(l) => html`<section>
    <${Letter} l=${l} onChange=${state.reload} /></section>`}<//>`;
}
