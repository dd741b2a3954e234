// Letters of recommendation (#/letters, #/letters/<id>): the student's dashboard by status
// and deadline and the form to ask; the writer's requests with the Letter ID and the
// student's profile on one page. Wardmate never receives the letter itself.
import { html, useState } from "../vendor/preact-htm.js";
import { get, getAll, post } from "../api.js";
import { useLive, useSession } from "../session.js";
import { Alert, Empty, Field, Loading, ShowMore, Status, fmtDate, today, useForm, useLoad, useMore } from "../ui.js";
import { SpecialtyOptions } from "../reference.js";

function deadline(l) {
  if (["submitted", "confirmed", "declined", "withdrawn", "expired"].includes(l.status)) return `deadline ${fmtDate(l.deadline)}`;
  return l.days_left === 0 ? "due today" : `due in ${l.days_left} day${l.days_left === 1 ? "" : "s"} (${fmtDate(l.deadline)})`;
}

function Actions({ letter, onChange }) {
  const [error, setError] = useState(null);
  const [day, setDay] = useState(today());
  const act = (action, body = {}) => post(`/letters/${letter.id}/${action}`, body).then(onChange, setError);
  const writer = letter.role === "writer";
  return html`<div>
    <p class="actions">
      ${writer && letter.status === "requested" && html`
        <button type="button" onClick=${() => act("accept")}>Agree to write</button>
        <button type="button" class="secondary" onClick=${() => act("decline")}>Decline</button>`}
      ${!writer && ["requested", "accepted"].includes(letter.status) && html`<button type="button" class="secondary" onClick=${() => act("withdraw")}>Withdraw request</button>`}
      ${!writer && letter.status === "submitted" && html`<button type="button" onClick=${() => act("confirm")}>Confirm it arrived</button>`}
    </p>
    ${writer && letter.status === "accepted" && html`<form aria-label="Mark the letter submitted" onSubmit=${(e) => { e.preventDefault(); act("submit", { submitted_on: day }); }}>
      <${Field} label="Day you uploaded it to the AAMC Letter Writer Portal" name="submitted_on" type="date" value=${day} onInput=${(e) => setDay(e.currentTarget.value)} />
      <button type="submit">Mark submitted</button>
    </form>`}
    <${Alert} error=${error} />
  </div>`;
}

/** The waiver in the reader's words: the student reads of their own right. */
function waiver(letter) {
  if (letter.role === "writer") return letter.waived ? "Waived: the student will not see it" : "Not waived";
  return letter.waived ? "You waived your right to see it" : "You did not waive your right to see it";
}

/** What happens next, from the student's side. The API's how_to_submit tells the writer
 * where to upload the letter and not to send the student a copy: words for the writer. */
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
  return html`<li class="card" aria-label=${`Letter ${letter.role === "writer" ? "for" : "from"} ${other.display_name || "a user"}`}>
    <h3><a href=${`#/letters/${letter.id}`}>${letter.specialty}: ${letter.role === "writer" ? "for" : "from"} ${other.display_name || "a Wardmate user"}</a>
      <${Status} status=${letter.status} /></h3>
    <p>${deadline(letter)} · ${letter.programs} program${letter.programs === 1 ? "" : "s"} · ${letter.application === "eras" ? `ERAS, Letter ID ${letter.eras_letter_id}` : "Other application"}${" "}
      · ${waiver(letter)}</p>
    <${Actions} letter=${letter} onChange=${onChange} />
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

function AskForm({ onDone }) {
  const form = useForm();
  const people = useLoad(writersToAsk, []);
  const [fields, setFields] = useState({ writer_id: "", specialty: "", programs: "20", deadline: "", application: "eras", eras_letter_id: "", waived: true, message: "" });
  const set = (name) => (e) => setFields({ ...fields, [name]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
  async function ask(e) {
    e.preventDefault();
    // Sent without one, the API's answer was about an id's format, not the choice missing.
    if (!fields.writer_id) return form.setErrors({ writer_id: "Choose who writes it" });
    const body = { ...fields, programs: Number(fields.programs) };
    if (body.application !== "eras") delete body.eras_letter_id;
    const made = await form.submit(() => post("/letters", body));
    if (made) onDone();
  }
  const { mentors = [], hosts = [] } = people.data || {};
  const option = (p) => html`<option key=${p.id} value=${p.id}>${p.name}</option>`;
  const nobody = people.data && mentors.length + hosts.length === 0;
  return html`<form onSubmit=${ask} aria-label="Ask for a letter">
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
    <${Field} label="Message to the writer" name="message" as="textarea" value=${fields.message} onInput=${set("message")} error=${form.errors.message} />
    <button type="submit" disabled=${form.busy}>Send request</button>
    <${Alert} error=${form.errors[""]} />
  </form>`;
}

export function Letters() {
  const { me } = useSession();
  const state = useLoad(() => get("/me/letters", { limit: 100 }), []);
  const list = useMore(state, (cursor) => get("/me/letters", { limit: 100, cursor }));
  const [asking, setAsking] = useState(false);
  useLive(["notification"], (frame) => (frame.type === "reload" || String(frame.data.kind).startsWith("letter")) && state.reload());
  const student = me.user.role === "student";
  return html`<section>
    <h1>Letters of recommendation</h1>
    <p>Wardmate tracks each request to its deadline and reminds the writer; the letter itself goes from the writer to the AAMC Letter Writer Portal, never through Wardmate.</p>
    ${student && (asking ? html`<${AskForm} onDone=${() => { setAsking(false); state.reload(); }} />`
      : html`<button type="button" onClick=${() => setAsking(true)}>Ask for a letter</button>`)}
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

export function LetterPage({ id }) {
  const state = useLoad(() => get(`/letters/${id}`), [id]);
  useLive(["notification"], (frame) => (frame.type === "reload" || String(frame.data.kind).startsWith("letter")) && state.reload());
  return html`<section><${Loading} state=${state}>${(l) => html`
    <h1>Letter of recommendation: ${l.specialty}</h1>
    <p><${Status} status=${l.status} /> · ${deadline(l)} · <a href="#/letters">All letters</a></p>
    <dl class="facts">
      <dt>Student</dt><dd>${l.student.display_name || "A Wardmate user"}</dd>
      <dt>Writer</dt><dd>${l.writer.display_name || "A Wardmate user"}</dd>
      <dt>Application</dt><dd>${l.application === "eras" ? "ERAS" : "Another application"}, ${l.programs} program${l.programs === 1 ? "" : "s"}</dd>
      ${l.eras_letter_id && html`<dt>ERAS Letter ID</dt><dd>${l.eras_letter_id}</dd>`}
      <dt>Waiver</dt><dd>${l.role === "writer" ? (l.waived ? "The student waived the right to see it" : "The student did not waive the right to see it") : waiver(l)}</dd>
      ${l.submitted_on && html`<dt>Uploaded</dt><dd>${fmtDate(l.submitted_on)}</dd>`}
    </dl>
    ${l.message && html`<p class="quote-text">“${l.message}”</p>`}
    <p>${l.role === "writer" ? l.how_to_submit : studentNext(l)}</p>
    ${l.student_profile && html`<h2>About the student</h2><dl class="facts">
      <dt>Medical school</dt><dd>${l.student_profile.medical_school || "—"}${l.student_profile.school_country ? ` (${l.student_profile.school_country})` : ""}</dd>
      <dt>Graduation</dt><dd>${l.student_profile.graduation_year || "—"}</dd>
      <dt>Specialties</dt><dd>${l.student_profile.specialties.join(", ") || "—"}</dd>
      <dt>Organizations</dt><dd>${l.student_profile.organizations.join(", ") || "—"}</dd>
      <dt>Languages</dt><dd>${l.student_profile.languages.join(", ") || "—"}</dd>
    </dl>
    ${l.rotations.length > 0 && html`<h3>Rotations at this hospital</h3><ul>${l.rotations.map((r) => html`<li key=${r.start_date}>
      ${r.specialty} at ${r.hospital_name}, ${fmtDate(r.start_date)} to ${fmtDate(r.end_date)}</li>`)}</ul>`}`}
    <${Actions} letter=${l} onChange=${state.reload} />`}<//></section>`;
}
