// Verification documents: a user sends theirs (with a progress bar) and sees their status;
// operators review the queue beside the credential checks; hosts see a guest's badge.
import { html, useState } from "../vendor/preact-htm.js";
import { get, post, upload } from "../api.js";
import { Alert, Empty, Field, Loading, Notice, ShowMore, fmtDay, fmtTime, formError, useForm, useLoad, useMore, words } from "../ui.js";

const KINDS = {
  student: [["enrolment", "Proof of enrolment"], ["rotation_acceptance", "Rotation acceptance (e.g. the visiting-student offer letter)"]],
  professional: [["licence", "Licence scan"]],
};
const kindName = (k) => ({ enrolment: "Proof of enrolment", rotation_acceptance: "Rotation acceptance", licence: "Licence scan" })[k] || words(k);
// What each kind's file is (a licence's hint spoke of "the letter", a student's enrolment
// wording); the limits are accounts' (WARDMATE_PDF_MAX_PAGES, WARDMATE_UPLOAD_MAX_BYTES).
const LIMITS = "a PDF (up to 20 pages) or a photo of it, up to 15 MB";
const KIND_HINTS = {
  enrolment: `Your school's letter or certificate saying you are enrolled: ${LIMITS}`,
  rotation_acceptance: `The offer letter accepting you for the rotation: ${LIMITS}`,
  licence: `Your medical licence, every page: ${LIMITS}`,
};
const fileUrl = (id) => `/api/v1/documents/${id}/file`;
// Who reads a rejection's note: the document's owner, by their role.
const owner = (role) => ({ student: "the student", professional: "the professional" })[role] || "its owner";

/** The caller's documents and the form to send one. */
/** A student's badge as it stands, and why when a checked document no longer gives it. */
function badgeState(me, page) {
  if (me.verification.status === "verified") return "✓ You are a verified student: hosts see the badge.";
  const checked = page && page.items.some((d) => d.status === "verified");
  return checked
    ? "Your verified-student badge ended when you changed your name or school: send a new document to have it checked again."
    : "You are not verified yet.";
}

export function MyDocuments({ me }) {
  const kinds = KINDS[me.user.role] || [];
  const state = useLoad(() => get("/me/documents", { limit: 50 }), []);
  const [kind, setKind] = useState(kinds.length ? kinds[0][0] : "");
  const [file, setFile] = useState(null);
  const [fileKey, setFileKey] = useState(0);
  const [progress, setProgress] = useState(null);
  const form = useForm();
  // Said where the button was, and focused: Send is disabled while the file goes, and
  // focus fell to the page.
  const [sent, setSent] = useState(0);
  if (!kinds.length) return null;
  async function onSubmit(e) {
    e.preventDefault();
    setSent(0);
    if (!file) return form.refuse({ file: "Choose a file first" });
    const data = new FormData();
    data.append("kind", kind);
    data.append("file", file);
    setProgress(0);
    const done = await form.submit(() => upload("/me/documents", data, setProgress).finally(() => setProgress(null)));
    if (!done) return;
    setFile(null);
    setFileKey(fileKey + 1);
    setSent(Date.now());
    state.reload();
  }
  const errors = form.errors;
  return html`<section aria-labelledby="docs-h">
    <h2 id="docs-h">Verification documents</h2>
    <p>${me.user.role === "student" ? "Hosts see a verified-student badge once an operator has checked your proof of enrolment or rotation acceptance. "
      : "A licence scan helps an operator check your credentials. "}
      Only you and Wardmate's operators can open these files; each is deleted 30 days after it is checked.</p>
    ${me.user.role === "student" && html`<p role="status">${badgeState(me, state.data)}</p>`}
    <${Loading} state=${state}>${(page) => page.items.length === 0 ? html`<${Empty}>No documents sent yet.</${Empty}>`
      : html`<ul class="plain" aria-label="Your documents">${page.items.map((d) => html`<li key=${d.id}>
        ${kindName(d.kind)}, sent ${fmtDay(d.created_at)}: <strong>${d.status === "pending" ? "waiting for a check" : d.status}</strong>
        ${d.note && (d.status === "rejected" ? html`<br />Why: ${d.note}` : ` (${d.note})`)}
        ${d.available ? html` · <a href=${fileUrl(d.id)} download>Download <span class="sr">${kindName(d.kind)}</span></a>` : " · file deleted"}
      </li>`)}</ul>`}<//>
    <form onSubmit=${onSubmit} novalidate aria-label="Send a document">
      <${Field} as="select" label="Document" name="kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)} error=${errors.kind}>
        ${kinds.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
      <//>
      <${Field} label="File" name="file" type="file" accept="application/pdf,image/jpeg,image/png,image/webp,image/heic,.heic" key=${fileKey}
        hint=${KIND_HINTS[kind]} error=${errors.file} onChange=${(e) => setFile(e.currentTarget.files[0] || null)} />
      ${progress !== null && html`<label class="progress">Uploading <progress max="1" value=${progress}>${Math.round(progress * 100)}%</progress></label>`}
      <${Alert} error=${formError(errors, ["kind", "file"])} />
      ${sent > 0 && html`<${Notice} focus key=${sent}>Document sent. An operator will check it.</${Notice}>`}
      <button type="submit" disabled=${progress !== null || form.busy}>Send document</button>
    </form>
  </section>`;
}

function QueuedDocument({ d, onDecided }) {
  const [note, setNote] = useState("");
  const form = useForm();
  const what = `${kindName(d.kind)} of ${d.display_name}`;
  async function decide(decision) {
    // A rejection says why: its owner reads the note in the notice and the mail.
    if (decision === "rejected" && !note.trim()) return form.refuse({ note: `Say why you reject it: ${owner(d.role)} reads this note.` });
    // The name and school compared with the document: a change since is a 409, not a badge for them.
    const seen = { display_name: d.display_name, medical_school: d.medical_school };
    if (await form.submit(() => post(`/admin/documents/${d.id}/decision`, { decision, note, ...seen }))) {
      onDecided(decision === "verified" ? `${what}: verified.` : `${what}: rejected; ${owner(d.role)} reads why.`);
    }
  }
  // The note and buttons sit in a form so that useForm can focus the note in error.
  return html`<li class="card" aria-label=${what}>
    <h3><a href=${`#/users/${d.user_id}`}>${d.display_name}</a> · ${words(d.role)}</h3>
    <p>${d.email} · ${kindName(d.kind)}, ${d.pages} page${d.pages === 1 ? "" : "s"} · sent ${fmtTime(d.created_at)}</p>
    <p>Medical school on the profile: ${d.medical_school || "none given"}</p>
    <p><a href=${fileUrl(d.id)} download>Download <span class="sr">${what}</span></a></p>
    <form novalidate onSubmit=${(e) => e.preventDefault()}>
      <${Field} label="Note (shown to them; required to reject)" name="note" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} error=${form.errors.note} />
      <p class="actions">
        <button type="button" disabled=${form.busy} onClick=${() => decide("verified")}>Verify <span class="sr">${what}</span></button>
        <button type="button" disabled=${form.busy} class="secondary" onClick=${() => decide("rejected")}>Reject <span class="sr">${what}</span></button>
      </p>
      <${Alert} error=${formError(form.errors, ["note"])} />
    </form>
  </li>`;
}

/** The operators' queue of documents, oldest first. A decided document leaves it with the
 * button pressed: what was decided is said above the list, and takes focus. */
export function DocumentQueue() {
  const state = useLoad(() => get("/admin/documents", { limit: 50 }), []);
  // Past the first 50, a page at a time (the queue showed the first 50 only).
  const list = useMore(state, (cursor) => get("/admin/documents", { limit: 50, cursor }));
  const [said, setSaid] = useState(null);
  const decided = (text) => {
    setSaid({ text, at: Date.now() });
    state.reload();
  };
  return html`<section aria-labelledby="docs-admin-h">
    <h2 id="docs-admin-h">Verify documents</h2>
    <p>Open each file, compare the name and school or hospital with the profile, then verify it, or reject it saying why.</p>
    ${said && html`<${Notice} focus key=${said.at}>${said.text}</${Notice}>`}
    <${Loading} state=${state}>${() => list.items.length === 0 ? html`<${Empty}>No documents to check.</${Empty}>`
      : html`<ul class="cards" aria-label="Documents">${list.items.map((d) => html`<${QueuedDocument} key=${d.id} d=${d} onDecided=${decided} />`)}</ul>
        <${ShowMore} list=${list} label="More documents" />`}<//>
  </section>`;
}
