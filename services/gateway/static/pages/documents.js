// Verification documents: a user sends theirs (with a progress bar) and sees their status;
// operators review the queue beside the credential checks; hosts see a guest's badge.
import { html, useState } from "../vendor/preact-htm.js";
import { ApiError, get, post, upload } from "../api.js";
import { Alert, Empty, Field, Loading, fmtDate, fmtTime, formError, useForm, useLoad, words } from "../ui.js";

const KINDS = {
  student: [["enrolment", "Proof of enrolment"], ["rotation_acceptance", "Rotation acceptance (e.g. the visiting-student offer letter)"]],
  professional: [["licence", "Licence scan"]],
};
const kindName = (k) => ({ enrolment: "Proof of enrolment", rotation_acceptance: "Rotation acceptance", licence: "Licence scan" })[k] || words(k);
const fileUrl = (id) => `/api/v1/documents/${id}/file`;

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
  const [errors, setErrors] = useState({});
  const [notice, setNotice] = useState("");
  if (!kinds.length) return null;
  async function onSubmit(e) {
    e.preventDefault();
    setNotice("");
    if (!file) return setErrors({ file: "Choose a file first" });
    const data = new FormData();
    data.append("kind", kind);
    data.append("file", file);
    setProgress(0);
    try {
      await upload("/me/documents", data, setProgress);
      setErrors({});
      setFile(null);
      setFileKey(fileKey + 1);
      setNotice("Document sent. An operator will check it.");
      state.reload();
    } catch (err) {
      setErrors(err instanceof ApiError ? err.fieldErrors() : { "": String(err) });
    } finally {
      setProgress(null);
    }
  }
  return html`<section aria-labelledby="docs-h">
    <h2 id="docs-h">Verification documents</h2>
    <p>${me.user.role === "student" ? "Hosts see a verified-student badge once an operator has checked your proof of enrolment or rotation acceptance. "
      : "A licence scan helps an operator check your credentials. "}
      Only you and Wardmate's operators can open these files; each is deleted 30 days after it is checked.</p>
    ${me.user.role === "student" && html`<p role="status">${badgeState(me, state.data)}</p>`}
    <${Loading} state=${state}>${(page) => page.items.length === 0 ? html`<${Empty}>No documents sent yet.</${Empty}>`
      : html`<ul class="plain" aria-label="Your documents">${page.items.map((d) => html`<li key=${d.id}>
        ${kindName(d.kind)}, sent ${fmtDate(d.created_at.slice(0, 10))}: <strong>${d.status === "pending" ? "waiting for a check" : d.status}</strong>
        ${d.note && (d.status === "rejected" ? html`<br />Why: ${d.note}` : ` (${d.note})`)}
        ${d.available ? html` · <a href=${fileUrl(d.id)} download>Download <span class="sr">${kindName(d.kind)}</span></a>` : " · file deleted"}
      </li>`)}</ul>`}<//>
    <form onSubmit=${onSubmit} novalidate aria-label="Send a document">
      <${Field} as="select" label="Document" name="kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)} error=${errors.kind}>
        ${kinds.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
      <//>
      <${Field} label="File" name="file" type="file" accept="application/pdf,image/jpeg,image/png,image/webp,image/heic,.heic" key=${fileKey}
        hint="A PDF (up to 20 pages) or a photo of the letter, up to 15 MB" error=${errors.file} onChange=${(e) => setFile(e.currentTarget.files[0] || null)} />
      ${progress !== null && html`<label class="progress">Uploading <progress max="1" value=${progress}>${Math.round(progress * 100)}%</progress></label>`}
      <${Alert} error=${errors[""]} />
      ${notice && html`<p role="status" class="notice">${notice}</p>`}
      <button type="submit" disabled=${progress !== null}>Send document</button>
    </form>
  </section>`;
}

function QueuedDocument({ d, onChange }) {
  const [note, setNote] = useState("");
  const form = useForm();
  async function decide(decision) {
    // A rejection says why: the student reads the note in the notice and the mail.
    if (decision === "rejected" && !note.trim()) return form.setErrors({ note: "Say why you reject it: the student reads this note." });
    // The name and school compared with the document: a change since is a 409, not a badge for them.
    const seen = { display_name: d.display_name, medical_school: d.medical_school };
    if (await form.submit(() => post(`/admin/documents/${d.id}/decision`, { decision, note, ...seen }))) onChange();
  }
  return html`<li class="card" aria-label=${`${kindName(d.kind)} of ${d.display_name}`}>
    <h3><a href=${`#/users/${d.user_id}`}>${d.display_name}</a> · ${words(d.role)}</h3>
    <p>${d.email} · ${kindName(d.kind)}, ${d.pages} page${d.pages === 1 ? "" : "s"} · sent ${fmtTime(d.created_at)}</p>
    <p>Medical school on the profile: ${d.medical_school || "none given"}</p>
    <p><a href=${fileUrl(d.id)} download>Download <span class="sr">${kindName(d.kind)} of ${d.display_name}</span></a></p>
    <${Field} label="Note (shown to them; required to reject)" name="note" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} error=${form.errors.note} />
    <p class="actions">
      <button type="button" disabled=${form.busy} onClick=${() => decide("verified")}>Verify <span class="sr">${kindName(d.kind)} of ${d.display_name}</span></button>
      <button type="button" disabled=${form.busy} class="secondary" onClick=${() => decide("rejected")}>Reject <span class="sr">${kindName(d.kind)} of ${d.display_name}</span></button>
    </p>
    <${Alert} error=${formError(form.errors, ["note"])} />
  </li>`;
}

/** The operators' queue of documents, oldest first. */
export function DocumentQueue() {
  const state = useLoad(() => get("/admin/documents", { limit: 50 }), []);
  return html`<section aria-labelledby="docs-admin-h">
    <h2 id="docs-admin-h">Verify documents</h2>
    <p>Open each file, compare the name and school or hospital with the profile, then verify it, or reject it saying why.</p>
    <${Loading} state=${state}>${(page) => page.items.length === 0 ? html`<${Empty}>No documents to check.</${Empty}>`
      : html`<ul class="cards" aria-label="Documents">${page.items.map((d) => html`<${QueuedDocument} key=${d.id} d=${d} onChange=${state.reload} />`)}</ul>`}<//>
  </section>`;
}
