// Your profile (every field; professionals' affiliations, mentoring and capacity),
// verification, and other users' public profiles with message, block and report.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { del, get, getAll, patch, post } from "../api.js";
import { useSession } from "../session.js";
import {
  Alert, Field, HospitalPicker, Loading, Notice, Suggest, Verified, cap, fmtTime, formError, go, hospitalLabel, matchCountries,
  earliestToday, rotationLabel, titleCase, useForm, useLoad,
  professionLine, useNames, words,
} from "../ui.js";
import { MyDocuments } from "./documents.js";
import { MentoringSettings } from "./mentoring_settings.js";
import { OrganizationChoices, useListNames } from "../reference.js";
import { UserReviews } from "./reviews.js";

// Typed lists, comma-separated; languages are picked by name (codes are what the API takes).
const LISTS = ["specialties", "hobbies", "organizations"];
const splitList = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
// From the id (name-city-state), until the hospital list answers: a name that ends in its
// city ("Mayo Clinic Hospital Rochester", Rochester) says the city once.
const hospitalName = (id) => titleCase(id.replace(/-[a-z]{2}$/, "").replace(/-/g, " ").toUpperCase())
  .replace(/\b((?:\S+ ){0,2}\S+) \1$/, "$1");

/** Affiliations as the hospital list names them ("The Johns Hopkins Hospital, Baltimore,
 * MD"), looked up by id (GET /hospitals/{id}): the id's words alone ran the name into its
 * city ("The Johns Hopkins Hospital Baltimore"). The id's words stand in until then. */
function useHospitalLabels(ids) {
  const [labels, setLabels] = useState({});
  const key = ids.join(" ");
  useEffect(() => {
    const missing = ids.filter((id) => !labels[id]);
    if (!missing.length) return;
    Promise.all(missing.map((id) => get(`/hospitals/${encodeURIComponent(id)}`).then((h) => [id, hospitalLabel(h)], () => null)))
      .then((found) => setLabels((prev) => ({ ...prev, ...Object.fromEntries(found.filter(Boolean)) })));
  }, [key]);
  return (id) => labels[id] || hospitalName(id);
}
// The pickers' inputs (by name), the field each fills, and what to say of text left in one.
const PICKERS = [
  ["school_country", "school_country", "Choose the country from the suggestions"],
  ["language_search", "languages", "Choose the language from the suggestions"],
  ["hospital_search", "hospital_ids", "Choose the hospital from the suggestions"],
];
/** Errors for the pickers of `formElement` whose text was typed and never chosen. The
 * country's box shows the country once chosen (`picked`: the fields a choice holds; typing
 * over it unpicks it); the others empty once chosen, adding to their list. */
function unchosenPicks(formElement, picked) {
  const inputs = formElement.elements;
  return Object.fromEntries(PICKERS.filter(([input, field]) => !picked[field] && inputs[input] && inputs[input].value.trim())
    .map(([, field, text]) => [field, text]));
}

function ProfileForm({ me }) {
  const { setMe } = useSession();
  const p = me.profile;
  const professional = me.user.role === "professional";
  const [f, setF] = useState({
    display_name: me.user.display_name,
    bio: p.bio || "",
    medical_school: p.medical_school || "",
    school_country: p.school_country || "",
    graduation_year: p.graduation_year ? String(p.graduation_year) : "",
    languages: p.languages,
    specialties: p.specialties.join(", "),
    hobbies: p.hobbies.join(", "),
    organizations: p.organizations.join(", "),
    profession: p.profession || "",
    hospital_ids: p.hospital_ids,
    open_to_mentoring: p.open_to_mentoring,
    mentoring_capacity: String(p.mentoring_capacity),
  });
  const hospitalOf = useHospitalLabels(f.hospital_ids);
  const form = useForm();
  const [saved, setSaved] = useState(false);
  const countryName = useNames("countries", f.school_country ? [f.school_country] : []);
  const languageName = useNames("languages", f.languages);
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
  async function onSubmit(e) {
    e.preventDefault();
    setSaved(false);
    // Text in a picker that holds no choice was never chosen. Saving dropped it and said
    // "Profile saved." (a typed "Germany" left the country empty); refused instead, as the
    // rotation form refuses a hospital not chosen.
    const unchosen = unchosenPicks(e.currentTarget, { school_country: Boolean(f.school_country) });
    if (Object.keys(unchosen).length) {
      form.setErrors(unchosen);
      return;
    }
    const body = {
      display_name: f.display_name,
      bio: f.bio || null,
      medical_school: f.medical_school.trim() || null,
      school_country: f.school_country || null,
      graduation_year: f.graduation_year ? Number(f.graduation_year) : null,
    };
    for (const key of LISTS) body[key] = splitList(f[key]);
    body.languages = f.languages;
    if (professional) {
      body.profession = f.profession.trim() || null;
      body.hospital_ids = f.hospital_ids;
      body.open_to_mentoring = f.open_to_mentoring;
      body.mentoring_capacity = Number(f.mentoring_capacity || 0);
    }
    const next = await form.submit(() => patch("/me/profile", body));
    if (next) {
      setMe(next);
      setSaved(true);
    }
  }
  const err = form.errors;
  // What an operator checked to give the badge (accounts' changes_checked_identity): said
  // before saving, not found out afterwards.
  const losesBadge = me.verification.status === "verified"
    && (f.display_name !== me.user.display_name || (f.medical_school.trim() || null) !== (p.medical_school || null));
  const shown = ["display_name", "bio", "medical_school", "school_country", "graduation_year", "languages", ...LISTS,
    "profession", "hospital_ids", "open_to_mentoring", "mentoring_capacity"];
  return html`<form onSubmit=${onSubmit} novalidate aria-labelledby="profile-h">
    <h2 id="profile-h">Your profile</h2>
    <${Field} label="Name" name="display_name" value=${f.display_name} onInput=${set("display_name")} error=${err.display_name} />
    <${Field} label="About you" limit=${2000} name="bio" as="textarea" rows="4" value=${f.bio} onInput=${set("bio")} error=${err.bio} />
    <div class="row">
      <${Field} label="Medical school" name="medical_school" value=${f.medical_school} onInput=${set("medical_school")} error=${err.medical_school} />
      <div class="picked">
        <${Suggest} label="School's country" name="school_country" minChars=${1} error=${err.school_country}
          lookup=${matchCountries} describe=${(c) => c.name} keyOf=${(c) => c.code}
          chosen=${f.school_country ? `Chosen: ${countryName(f.school_country)}` : null} hint="Type its name, then choose it"
          value=${f.school_country ? { code: f.school_country, name: countryName(f.school_country) } : null}
          onPick=${(c) => setF((prev) => ({ ...prev, school_country: c ? c.code : "" }))} />
        ${f.school_country && html`<button type="button" class="link" onClick=${() => setF((prev) => ({ ...prev, school_country: "" }))}>Clear the country</button>`}
      </div>
      <${Field} label="Graduation year" name="graduation_year" type="number" inputmode="numeric" min="1950" max="2100"
        value=${f.graduation_year} onInput=${set("graduation_year")} error=${err.graduation_year} />
    </div>
    <${Suggest} label="Add a language" name="language_search" error=${err.languages}
      lookup=${(q) => get("/languages", { q, limit: 8 }).then((r) => r.items)} describe=${(l) => l.name} keyOf=${(l) => l.code}
      hint="Type its name, then choose it"
      onPick=${(l) => setF((prev) => (prev.languages.includes(l.code) ? prev : { ...prev, languages: [...prev.languages, l.code] }))} />
    <ul class="chips" aria-label="Languages you speak">
      ${f.languages.map((code) => html`<li key=${code}>${languageName(code)}
        <button type="button" class="link" aria-label=${`Remove ${languageName(code)}`}
          onClick=${() => setF((prev) => ({ ...prev, languages: prev.languages.filter((x) => x !== code) }))}>Remove</button></li>`)}
    </ul>
    <${Field} label="Specialties" name="specialties" hint="Separated by commas, e.g. cardiology, pediatrics"
      value=${f.specialties} onInput=${set("specialties")} error=${err.specialties} />
    <${Field} label="Hobbies" name="hobbies" hint="Separated by commas" value=${f.hobbies} onInput=${set("hobbies")} error=${err.hobbies} />
    <${Field} label="Professional organizations" name="organizations" hint="Separated by commas, e.g. AMWA, NMA, SNMA, AAPI (any other organization too)"
      value=${f.organizations} onInput=${set("organizations")} error=${err.organizations} />
    <${OrganizationChoices} value=${f.organizations}
      onAdd=${(code) => setF({ ...f, organizations: [...splitList(f.organizations), code].join(", ") })} />
    ${professional && html`<fieldset>
      <legend>As a professional</legend>
      <${Field} label="Profession" name="profession" hint="e.g. Cardiologist, Resident physician, Nurse"
        value=${f.profession} onInput=${set("profession")} error=${err.profession} />
      <${HospitalPicker} label="Add a hospital affiliation" name="hospital_search" error=${err.hospital_ids}
        onPick=${(h) => !f.hospital_ids.includes(h.id) && setF({ ...f, hospital_ids: [...f.hospital_ids, h.id] })} />
      <ul class="chips" aria-label="Hospital affiliations">
        ${f.hospital_ids.map((id) => html`<li key=${id}>${hospitalOf(id)}
          <button type="button" class="link" aria-label=${`Remove ${hospitalOf(id)}`}
            onClick=${() => setF({ ...f, hospital_ids: f.hospital_ids.filter((x) => x !== id) })}>Remove</button></li>`)}
      </ul>
      <${Field} label="Open to mentoring" name="open_to_mentoring" type="checkbox" checked=${f.open_to_mentoring}
        onChange=${set("open_to_mentoring")} error=${err.open_to_mentoring} />
      <${Field} label="Mentoring capacity" name="mentoring_capacity" type="number" inputmode="numeric" min="0" max="50"
        hint="How many students you can mentor at once" value=${f.mentoring_capacity}
        onInput=${set("mentoring_capacity")} error=${err.mentoring_capacity} />
    </fieldset>`}
    <${Alert} error=${formError(err, shown)} />
    ${saved && html`<${Notice}>Profile saved.</${Notice}>`}
    ${losesBadge && html`<p class="notice" role="note">${professional
      ? "Saving a new name puts your credentials back in the operators' queue: your ✓ Verified badge is off until they check again."
      : "Saving a new name or school ends your verified-student badge: send a new proof of enrolment below to have it checked again."}</p>`}
    <button type="submit" disabled=${form.busy}>Save profile</button>
  </form>`;
}

function VerificationForm({ me }) {
  const { refreshMe } = useSession();
  const v = me.verification;
  const [kind, setKind] = useState("npi");
  const [f, setF] = useState({ npi: "", license_number: "", license_state: "" });
  const form = useForm();
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.value });
  async function onSubmit(e) {
    e.preventDefault();
    // An NPI pasted with spaces or dashes ("1234-567-893") is its digits.
    const body = kind === "npi" ? { npi: f.npi.replace(/[\s-]/g, "") } : { license_number: f.license_number, license_state: f.license_state.trim().toUpperCase() };
    if (await form.submit(() => post("/me/verification", body))) await refreshMe();
  }
  if (v.status === "verified") return html`<section><h2>Verification</h2><p><${Verified} verified /> Your credentials are verified.</p></section>`;
  return html`<section aria-labelledby="verify-h">
    <h2 id="verify-h">Verification</h2>
    ${v.status === "pending" ? html`<p>Your ${v.kind === "npi" ? "NPI" : "licence"} is waiting for an operator to check it.
        You may send another instead: an NPI or a licence sent now replaces it in the operators' queue.</p>`
      : v.status === "rejected" ? html`<p class="alert" role="status">An operator could not verify your ${v.kind === "npi" ? "NPI" : "licence"}${" "}
        (${fmtTime(v.rejected_at)}): “${v.rejection_reason}”${/[.!?]$/.test(v.rejection_reason) ? "" : "."} Correct it and submit it again.</p>`
      : html`<p>Verified professionals get a badge on their rooms and profile.</p>`}
    <form onSubmit=${onSubmit} novalidate>
      <fieldset><legend>Credential</legend>
        <label class="radio"><input type="radio" name="kind" value="npi" checked=${kind === "npi"} onChange=${() => setKind("npi")} /> NPI number</label>
        <label class="radio"><input type="radio" name="kind" value="license" checked=${kind === "license"} onChange=${() => setKind("license")} /> Medical licence</label>
      </fieldset>
      ${kind === "npi"
        ? html`<${Field} label="NPI" name="npi" inputmode="numeric" maxlength="14" hint="10 digits" value=${f.npi} onInput=${set("npi")} error=${form.errors.npi} />`
        : html`<div class="row"><${Field} label="Licence number" name="license_number" value=${f.license_number} onInput=${set("license_number")} error=${form.errors.license_number} />
          <${Field} label="Licence state" name="license_state" maxlength="2" hint="e.g. MD" value=${f.license_state} onInput=${set("license_state")} error=${form.errors.license_state} /></div>`}
      <${Alert} error=${formError(form.errors, ["npi", "license_number", "license_state"])} />
      <button type="submit" disabled=${form.busy}>Request verification</button>
    </form>
  </section>`;
}

/** `query.focus`: a setting to put focus on ("hospital_visibility", from a hospital page's
 * "change who sees you", which landed at the top of this long page). */
export function Profile({ query = {} }) {
  const { me } = useSession();
  return html`<section>
    <h1>Profile</h1>
    <p>Signed in as ${me.user.email} (${me.user.role}). <a href=${`#/users/${me.user.id}`}>See your public profile</a>.</p>
    <${ProfileForm} me=${me} />
    ${me.user.role !== "admin" && html`<${MentoringSettings} focus=${query.focus} />`}
    ${me.user.role === "professional" && html`<${VerificationForm} me=${me} />`}
    <${MyDocuments} me=${me} />
  </section>`;
}

/** Opens the conversation with a user: about `listingId`, their booking's thread if any.
 * The room goes along in the URL: a direct thread (one per pair) does not say which room
 * a question is about, so the conversation page starts the message with it. */
export async function messageUser(userId, listingId) {
  const conversation = await post("/conversations", listingId ? { user_id: userId, listing_id: listingId } : { user_id: userId });
  go(`/inbox/${conversation.id}`, { listing: listingId });
}

export function ReportForm({ target, onDone }) {
  // None preset: an untouched form filed "Scam" with nothing said.
  const [reason, setReason] = useState("");
  const [details, setDetails] = useState("");
  const form = useForm();
  const box = useRef(null);
  // Opened by a "Report" button: focus stayed on it, and the form's fields were tabbed to.
  useEffect(() => {
    if (box.current) box.current.querySelector("select").focus();
  }, []);
  async function onSubmit(e) {
    e.preventDefault();
    if (!reason) {
      form.refuse({ reason: "Choose a reason." });
      return;
    }
    const reply = await form.submit(() => post("/reports", { ...target, reason, details }));
    if (reply) onDone(true, reply);
  }
  return html`<form class="inline-form" ref=${box} onSubmit=${onSubmit} novalidate aria-label="Report">
    <${Field} as="select" label="Reason" name="reason" value=${reason} onChange=${(e) => setReason(e.currentTarget.value)} error=${form.errors.reason}>
      <option value="" disabled>Choose a reason</option>
      ${["scam", "harassment", "spam", "inappropriate", "other"].map((r) => html`<option value=${r}>${cap(words(r))}</option>`)}
    <//>
    <${Field} as="textarea" label="What happened" limit=${2000} name="details" rows="2" value=${details} onInput=${(e) => setDetails(e.currentTarget.value)} error=${form.errors.details} />
    <${Alert} error=${formError(form.errors, ["reason", "details"])} />
    <button type="submit" disabled=${form.busy}>Send report</button>
    <button type="button" class="secondary" onClick=${() => onDone(false)}>Cancel</button>
  </form>`;
}

/** Message, block and report buttons for another user. */
/** Message, block or unblock, and report a user. `onChange(block)`: told of a block or an
 * unblock made here (a conversation replaces its message box by the block's notice). */
export function SafetyActions({ userId, canMessage = true, onChange }) {
  const { me } = useSession();
  const [reporting, setReporting] = useState(false);
  // { text, n }: a note keyed by its text alone was not shown anew when it came again (a
  // second report sent), so it did not take focus and focus fell to the page.
  const [note, setNote] = useState(null);
  const say = (text) => setNote((prev) => ({ text, n: prev ? prev.n + 1 : 0 }));
  const [error, setError] = useState(null);
  // Whether you blocked them picks the one button shown ("Block" or "Unblock").
  const other = Boolean(me) && me.user.id !== userId;
  const state = useLoad(() => (other ? get(`/users/${userId}/block`) : Promise.resolve(null)), [userId, other]);
  const [changed, setChanged] = useState(null);
  const reportButton = useRef(null);
  if (!other) return null;
  const blocked = changed ? changed.blocked : state.data ? state.data.blocked : null;
  async function block(blocking) {
    setError(null);
    try {
      const result = await (blocking ? post(`/users/${userId}/block`) : del(`/users/${userId}/block`));
      setChanged(result);
      if (onChange) onChange(result);
      say(blocking ? "Blocked: neither of you can write to the other or send the other a request, neither sees the other's rooms in a search, and Wardmate no longer suggests either of you to the other." : "Unblocked.");
    } catch (err) {
      setError(err);
    }
  }
  return html`<div class="actions">
    ${canMessage && html`<button type="button" onClick=${() => messageUser(userId).catch(setError)}>Message</button>`}
    ${blocked === false && html`<button type="button" class="secondary" onClick=${() => block(true)}>Block</button>`}
    ${blocked === true && html`<button type="button" class="secondary" onClick=${() => block(false)}>Unblock</button>`}
    <button type="button" class="secondary" ref=${reportButton} aria-expanded=${reporting ? "true" : "false"} onClick=${() => setReporting(!reporting)}>Report</button>
    ${reporting && html`<${ReportForm} target=${{ user_id: userId }} onDone=${(sent, report) => {
      setReporting(false);
      if (sent && report.added_to_open) say("Your earlier report of this person is still open: what you wrote now was added to it for the operators.");
      else if (sent && report.already_open) say("You reported this person already: the operators have that report, still open. Nothing new was added to it.");
      else if (sent) say("Report sent to the operators.");
      else reportButton.current.focus();
    }} />`}
    ${note && html`<${Notice} key=${note.n} focus>${note.text}</${Notice}>`}
    <${Alert} error=${error} />
  </div>`;
}

export function PublicProfile({ id }) {
  const state = useLoad(() => get(`/users/${id}`), [id]);
  return html`<${Loading} state=${state}>${(u) => html`<${UserProfile} u=${u} />`}<//>`;
}

function UserProfile({ u }) {
  const { me } = useSession();
  const operator = Boolean(me) && me.user.role === "admin";
  const countryName = useNames("countries", u.profile.school_country ? [u.profile.school_country] : []);
  const languageName = useNames("languages", u.profile.languages);
  const hospitalOf = useHospitalLabels(u.profile.hospital_ids);
  const listed = useListNames(); // a listed organization by its initials: "AMGA", not "amga"
  // A student's badge already says "student" ("Student not verified · student" said it twice).
  const what = u.role === "professional" ? professionLine(u.profile.profession) : u.role === "student" ? "" : words(u.role);
  return html`<section>
    <h1>${u.display_name}</h1>
    <p><${Verified} verified=${u.verified} role=${u.role} />${what ? ` · ${what}` : ""}${" "}
      · member since ${new Date(u.member_since).getFullYear()}</p>
    ${u.profile.bio && html`<p class="bio">${u.profile.bio}</p>`}
    <dl class="facts">
      ${u.profile.medical_school && html`<dt>Medical school</dt><dd>${u.profile.medical_school}${u.profile.school_country ? ` (${countryName(u.profile.school_country)})` : ""}${u.profile.graduation_year ? `, ${u.profile.graduation_year}` : ""}</dd>`}
      ${u.profile.specialties.length > 0 && html`<dt>Specialties</dt><dd>${u.profile.specialties.map((x) => cap(words(x))).join(", ")}</dd>`}
      ${u.profile.languages.length > 0 && html`<dt>Languages</dt><dd>${u.profile.languages.map(languageName).join(", ")}</dd>`}
      ${u.profile.organizations.length > 0 && html`<dt>Organizations</dt><dd>${u.profile.organizations.map(listed.organization).join(", ")}</dd>`}
      ${u.profile.hobbies.length > 0 && html`<dt>Hobbies</dt><dd>${u.profile.hobbies.join(", ")}</dd>`}
      ${u.profile.hospital_ids.length > 0 && html`<dt>Hospitals</dt><dd>${u.profile.hospital_ids.map(hospitalOf).join("; ")}</dd>`}
      ${u.role === "professional" && html`<dt>Mentoring</dt><dd>${u.profile.open_to_mentoring ? `Open to mentoring (capacity ${u.profile.mentoring_capacity})` : "Not mentoring now"}</dd>`}
    </dl>
    ${operator
      // An operator read the members' advice and had Block and Report: theirs is the list.
      ? u.suspended && html`<p class="notice" role="status">Suspended. <a href="#/admin">Operators</a> lists the suspended
        accounts with why, and lifts a suspension.</p>`
      : u.suspended ? html`<p class="notice" role="status">Wardmate suspended this account: for now it cannot be messaged
      or asked to mentor. Do not pay or share details outside Wardmate; if something went wrong, report it.</p>`
      : html`<${MentorButton} user=${u} />`}
    ${!operator && html`<${SafetyActions} userId=${u.id} canMessage=${!u.suspended} />`}
    <${UserReviews} user=${u} />
  </section>`;
}

/** The mentors the signed-in student has asked and not heard from yet, or who mentor them: a
 * Map of mentor id to that mentorship (null while it loads; empty for anyone else). "Ask …
 * to mentor you" was offered again after a reload, and its request refused ("You already
 * have an open request or mentorship with this mentor"). */
export function useMyMentors() {
  const { me } = useSession();
  const student = Boolean(me) && me.user.role === "student";
  const state = useLoad(async () => {
    if (!student) return new Map();
    const lists = await Promise.all(["requested", "accepted"].map((status) => getAll("/me/mentorships", { role: "student", status })));
    return new Map(lists.flat().map((m) => [m.mentor.id, m]));
  }, [student]);
  return state.data;
}

/** In place of "Ask … to mentor you": the request made (just sent: `focus`, it replaced the
 * button that had it), or the mentorship under way. */
export function AskedMentor({ mentorship, name, focus = false }) {
  return html`<${Notice} focus=${focus}>${mentorship.status === "accepted"
    ? html`${name} mentors you. <a href=${`#/mentorships/${mentorship.id}`}>Open your plan</a>.`
    : mentorship.mentor_full
      ? html`Mentorship requested from ${name}, who has no places left right now: your request waits until one frees
        up. <a href="#/mentorships">See your mentorships</a>.`
      : html`Mentorship requested from ${name}: waiting for their answer. <a href="#/mentorships">See your mentorships</a>.`}</${Notice}>`;
}

/** A student asks a professional open to mentoring to mentor them (once: a request waiting
 * or a mentorship under way is said instead). */
export function MentorButton({ user, rotationId }) {
  const { me } = useSession();
  const mentors = useMyMentors();
  const [message, setMessage] = useState("");
  const [open, setOpen] = useState(false);
  // Asked from a room's or a profile's page, the request named no rotation (only a
  // rotation's matches passed one), so its plan never opened check-ins: the student says
  // which, preset when one rotation is not over yet.
  const [rotations, setRotations] = useState(null);
  const [chosen, setChosen] = useState("");
  useEffect(() => {
    if (!open || rotationId || rotations) return;
    getAll("/me/rotations").then((items) => {
      const current = items.filter((r) => r.end_date > earliestToday());
      setRotations(current);
      if (current.length === 1) setChosen(current[0].id);
    }, () => setRotations([]));
  }, [open]);
  const [done, setDone] = useState(null);
  const form = useForm();
  // Opened by "Ask … to mentor you": focus stayed on that button, short of the message.
  const box = useRef(null);
  useEffect(() => {
    if (open && box.current) box.current.querySelector("textarea").focus();
  }, [open]);
  if (!me || me.user.role !== "student" || user.role === "student" || !user.profile || !user.profile.open_to_mentoring) return null;
  async function onSubmit(e) {
    e.preventDefault();
    const body = { mentor_id: user.id, message };
    if (rotationId || chosen) body.rotation_id = rotationId || chosen;
    const m = await form.submit(() => post("/mentorships", body));
    if (m) {
      setDone(m);
      setOpen(false);
    }
  }
  if (done) return html`<${AskedMentor} mentorship=${done} name=${user.display_name} focus />`;
  if (!mentors) return null;
  if (mentors.has(user.id)) return html`<${AskedMentor} mentorship=${mentors.get(user.id)} name=${user.display_name} />`;
  return html`<div class="mentor-ask">
    <button type="button" aria-expanded=${open ? "true" : "false"} onClick=${() => setOpen(!open)}>Ask ${user.display_name} to mentor you</button>
    ${open && html`<form class="inline-form" ref=${box} onSubmit=${onSubmit} novalidate aria-label="Mentorship request">
      <${Field} as="textarea" label="Message to the mentor" limit=${2000} name="message" rows="3" value=${message}
        onInput=${(e) => setMessage(e.currentTarget.value)} error=${form.errors.message} />
      ${!rotationId && rotations && rotations.length > 0 && html`<${Field} as="select" label="For which rotation?" name="rotation_id" value=${chosen}
        onChange=${(e) => setChosen(e.currentTarget.value)} error=${form.errors.rotation_id} hint="Optional: the check-ins of your mentorship follow its dates">
        <option value="">None</option>
        ${rotations.map((r) => html`<option key=${r.id} value=${r.id}>${rotationLabel(r)}</option>`)}
      <//>`}
      <${Alert} error=${formError(form.errors, ["message", "rotation_id"])} />
      <button type="submit" disabled=${form.busy}>Request mentorship</button>
    </form>`}
  </div>`;
}
