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

function LetterCard({ letter, onChange }) {
  const other = letter.role === "writer" ? letter.student : letter.writer;
  return html`<li class="card" aria-label=${`Letter ${letter.role === "writer" ? "for" : "from"} ${other.display_name || "a user"}`}>
    <h3><a href=${`#/letters/${letter.id}`}>${letter.specialty}: ${letter.role === "writer" ? "for" : "from"} ${other.display_name || "a Wardmate user"}</a>
      <${Status} status=${letter.status} /></h3>
    <p>${deadline(letter)} · ${letter.programs} program${letter.programs === 1 ? "" : "s"} · ${letter.application === "eras" ? `ERAS, Letter ID ${letter.eras_letter_id}` : "Other application"}${" "}
      · ${letter.waived ? "Waived: the student will not see it" : "Not waived"}</p>
    <${Actions} letter=${letter} onChange=${onChange} />
  </li>`;
}

function AskForm({ onDone }) {
  const form = useForm();
  // Every mentor, past and present: the first 100 mentorships left later mentors out.
  const people = useLoad(async () => {
    const mine = (status) => getAll("/me/mentorships", { role: "student", status });
    const [accepted, ended] = await Promise.all([mine("accepted"), mine("ended")]);
    return [...accepted, ...ended];
  }, []);
  const [fields, setFields] = useState({ writer_id: "", specialty: "", programs: "20", deadline: "", application: "eras", eras_letter_id: "", waived: true, message: "" });
  const set = (name) => (e) => setFields({ ...fields, [name]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
  async function ask(e) {
    e.preventDefault();
    const body = { ...fields, programs: Number(fields.programs) };
    if (body.application !== "eras") delete body.eras_letter_id;
    const made = await form.submit(() => post("/letters", body));
    if (made) onDone();
  }
  const writers = people.data || [];
  return html`<form onSubmit=${ask} aria-label="Ask for a letter">
    <h2>Ask for a letter</h2>
    <${Field} label="Who writes it" name="writer_id" as="select" value=${fields.writer_id} onChange=${set("writer_id")} error=${form.errors.writer_id}
      hint="Your mentors, past and present (a host of a stay you completed can be asked too)">
      <option value="">Choose…</option>
      ${writers.map((m) => html`<option key=${m.id} value=${m.mentor.id}>${m.mentor.display_name || "Your mentor"}</option>`)}
    <//>
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
      <dt>Waiver</dt><dd>${l.waived ? "The student waived the right to see it" : "The student did not waive the right to see it"}</dd>
      ${l.submitted_on && html`<dt>Uploaded</dt><dd>${fmtDate(l.submitted_on)}</dd>`}
    </dl>
    ${l.message && html`<p class="quote-text">“${l.message}”</p>`}
    <p>${l.how_to_submit}</p>
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
