// A mentorship's plan (#/mentorships/<id>): goals, meetings shown in both people's time
// zones, shared and private notes, the check-ins. Only the two people see it (the API
// answers anyone else 404).
import { html, useState } from "../vendor/preact-htm.js";
import { get, patch, post } from "../api.js";
import { useLive } from "../session.js";
import { Alert, Empty, Field, Loading, Notice, Status, fmtDate, fmtTime, formError, useForm, useLoad, wallTimeIn } from "../ui.js";

/** Two goal titles the API takes for one: in any case, between any spaces. */
const sameTitle = (a, b) => a.replace(/\s+/g, " ").trim().toLowerCase() === b.replace(/\s+/g, " ").trim().toLowerCase();

const STAGES = { mid: "Mid-rotation check-in", end: "End-of-rotation check-in" };

function Goals({ plan, act, send }) {
  const form = useForm();
  const [title, setTitle] = useState("");
  const [measure, setMeasure] = useState("");
  const [target, setTarget] = useState("");
  const open = plan.status === "accepted";
  const add = (goalTitle) => form.submit(() => send(() => post(`/mentorships/${plan.mentorship_id}/goals`, { title: goalTitle, measure, target_date: target || undefined })).then(() => {
    setTitle("");
    setMeasure("");
    setTarget("");
  }));
  const unused = plan.suggested_goals.filter((g) => !plan.goals.some((x) => sameTitle(x.title, g)));
  return html`<section aria-labelledby="goals-h">
    <h2 id="goals-h">Goals</h2>
    ${plan.goals.length === 0 ? html`<${Empty}>No goals yet.</${Empty}>` : html`<ul class="cards" aria-label="Goals">
      ${plan.goals.map((g) => html`<li class="card" key=${g.id} aria-label=${g.title}>
        <h3>${g.title} <${Status} status=${g.status} /></h3>
        ${g.measure && html`<p>Done when: ${g.measure}</p>`}
        ${g.target_date && html`<p>By ${fmtDate(g.target_date)}</p>`}
        ${open && g.status === "open" && html`<p class="actions">
          <button type="button" onClick=${() => act(() => patch(`/goals/${g.id}`, { status: "done" }))}>Mark done</button>
          <button type="button" class="secondary" onClick=${() => act(() => patch(`/goals/${g.id}`, { status: "dropped" }))}>Drop</button>
        </p>`}
      </li>`)}
    </ul>`}
    ${open && html`
      ${unused.length > 0 && html`<p>Suggested for your stage:</p>
        <ul class="chips" aria-label="Suggested goals">${unused.map((g) => html`<li key=${g}>
          <button type="button" class="secondary" onClick=${() => add(g)}>Add “${g}”</button></li>`)}</ul>`}
      <form onSubmit=${(e) => { e.preventDefault(); add(title); }} aria-label="Add a goal">
        <${Field} label="Goal" name="title" value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} error=${form.errors.title} />
        <${Field} label="How you will know it is done" name="measure" value=${measure} onInput=${(e) => setMeasure(e.currentTarget.value)} error=${form.errors.measure} />
        <${Field} label="By (optional)" name="target_date" type="date" value=${target} onInput=${(e) => setTarget(e.currentTarget.value)} error=${form.errors.target_date} />
        <button type="submit" disabled=${form.busy}>Add goal</button>
        <${Alert} error=${form.errors[""]} />
      </form>`}
  </section>`;
}

/** Up to three times, typed on the clock of the plan's zone (the user's), as ISO instants. */
function TimeFields({ plan, times, setTimes, error }) {
  const setTime = (i, value) => setTimes(times.map((t, j) => (j === i ? value : t)));
  return times.map((t, i) => html`<${Field} key=${i} label=${`Time ${i + 1}${i ? " (optional)" : ""}`} name=${`time${i}`} type="datetime-local" value=${t}
    hint=${i === 0 ? `In your time zone, ${plan.time_zone}` : undefined}
    onInput=${(e) => setTime(i, e.currentTarget.value)} error=${i === 0 ? error : undefined} />`);
}
// Typed on the clock of the zone the page names (the user's), not the browser's.
const instants = (plan, times) => times.filter(Boolean).map((t) => wallTimeIn(t, plan.time_zone));

/** New times for a meeting proposed or scheduled: the other side answers them again. */
function Reschedule({ meeting, plan, send }) {
  const [open, setOpen] = useState(false);
  const [times, setTimes] = useState(["", "", ""]);
  const form = useForm();
  async function onSubmit(e) {
    e.preventDefault();
    const done = await form.submit(() => send(() => post(`/meetings/${meeting.id}/reschedule`, { options: instants(plan, times) })).then(() => true));
    if (done) setOpen(false);
  }
  if (!open) return html`<button type="button" class="secondary" onClick=${() => setOpen(true)}>Reschedule</button>`;
  return html`<form onSubmit=${onSubmit} novalidate aria-label="New times for this meeting">
    <${TimeFields} plan=${plan} times=${times} setTimes=${setTimes} error=${form.errors.options} />
    <button type="submit" disabled=${form.busy}>Send the new times</button>
    <button type="button" class="secondary" onClick=${() => setOpen(false)}>Keep the meeting as it is</button>
    <${Alert} error=${formError(form.errors, ["options"])} />
  </form>`;
}

function MeetingCard({ meeting, plan, act, send }) {
  const open = plan.status === "accepted";
  const when = meeting.starts_at;
  return html`<li class="card" aria-label=${`Meeting ${when ? when.yours : "proposed"}`}>
    <h3>${when ? when.yours : "Times proposed"} <${Status} status=${meeting.status} /></h3>
    ${when && html`<p>For ${plan.other_name || "them"}: ${when.theirs}</p>`}
    ${meeting.status === "proposed" && html`<ul aria-label="Proposed times">${meeting.options.map((t) => html`<li key=${t.utc}>
      ${t.yours} (theirs: ${t.theirs})
      ${open && meeting.your_turn && html` <button type="button" onClick=${() => act(() => post(`/meetings/${meeting.id}/accept`, { starts_at: t.utc }))}>Accept ${t.yours}</button>`}
    </li>`)}</ul>`}
    <p>${meeting.duration_minutes} minutes${meeting.place ? ` · ${meeting.place}` : ""}
      ${meeting.video_url && html` · <a href=${meeting.video_url} rel="noopener noreferrer" target="_blank">Video link</a>`}</p>
    ${open && html`<p class="actions">
      ${meeting.status === "proposed" && meeting.your_turn && html`<button type="button" class="secondary" onClick=${() => act(() => post(`/meetings/${meeting.id}/decline`))}>Decline</button>`}
      ${meeting.status === "scheduled" && html`<button type="button" onClick=${() => act(() => post(`/meetings/${meeting.id}/held`))}>We met</button>`}
      ${(meeting.status === "proposed" || meeting.status === "scheduled") && html`<button type="button" class="secondary" onClick=${() => act(() => post(`/meetings/${meeting.id}/cancel`))}>Cancel meeting</button>`}
    </p>
    ${(meeting.status === "proposed" || meeting.status === "scheduled") && html`<${Reschedule} meeting=${meeting} plan=${plan} send=${send} />`}`}
  </li>`;
}

function Meetings({ plan, act, send }) {
  const form = useForm();
  const [times, setTimes] = useState(["", "", ""]);
  const [place, setPlace] = useState("");
  const [video, setVideo] = useState("");
  const [minutes, setMinutes] = useState("30");
  async function propose(e) {
    e.preventDefault();
    const body = { options: instants(plan, times), place, video_url: video, duration_minutes: Number(minutes) };
    await form.submit(() => send(() => post(`/mentorships/${plan.mentorship_id}/meetings`, body)).then(() => {
      setTimes(["", "", ""]);
      setPlace("");
      setVideo("");
    }));
  }
  return html`<section aria-labelledby="meetings-h">
    <h2 id="meetings-h">Meetings</h2>
    <p>Times show in your zone (${plan.time_zone}) and in ${plan.other_name || "theirs"}'s (${plan.other_time_zone}). <a href="#/profile">Change your time zone</a>.</p>
    ${plan.meetings.length === 0 ? html`<${Empty}>No meetings yet.</${Empty}>`
      : html`<ul class="cards" aria-label="Meetings">${plan.meetings.map((m) => html`<${MeetingCard} key=${m.id} meeting=${m} plan=${plan} act=${act} send=${send} />`)}</ul>`}
    ${plan.status === "accepted" && html`<form onSubmit=${propose} aria-label="Propose a meeting">
      <h3>Propose a meeting</h3>
      <${TimeFields} plan=${plan} times=${times} setTimes=${setTimes} error=${form.errors.options} />
      <${Field} as="select" label="How long" name="duration_minutes" value=${minutes} onChange=${(e) => setMinutes(e.currentTarget.value)} error=${form.errors.duration_minutes}>
        ${[15, 30, 45, 60, 90].map((m) => html`<option key=${m} value=${String(m)}>${m} minutes</option>`)}
      <//>
      <${Field} label="Place" name="place" value=${place} onInput=${(e) => setPlace(e.currentTarget.value)} error=${form.errors.place} />
      <${Field} label="Video link" name="video_url" type="url" value=${video} onInput=${(e) => setVideo(e.currentTarget.value)} error=${form.errors.video_url} hint="https:// only" />
      <button type="submit" disabled=${form.busy}>Propose</button>
      <${Alert} error=${form.errors[""]} />
    </form>`}
  </section>`;
}

/** Which meeting a shared note is about, in the reader's zone (it said "Shared" alone). */
function aboutMeeting(plan, meetingId) {
  const m = plan.meetings.find((x) => x.id === meetingId);
  return m && m.starts_at ? `, about the meeting of ${m.starts_at.yours}` : "";
}

function Notes({ plan, send }) {
  const form = useForm();
  const [body, setBody] = useState("");
  const [about, setAbout] = useState("");
  const held = plan.meetings.filter((m) => m.starts_at);
  async function write(e) {
    e.preventDefault();
    const payload = about === "" ? { body, private: true } : { body, meeting_id: about };
    await form.submit(() => send(() => post(`/mentorships/${plan.mentorship_id}/notes`, payload)).then(() => setBody("")));
  }
  return html`<section aria-labelledby="notes-h">
    <h2 id="notes-h">Notes</h2>
    ${plan.notes.length === 0 ? html`<${Empty}>No notes yet.</${Empty}>` : html`<ul class="cards" aria-label="Notes">
      ${plan.notes.map((n) => html`<li class="card" key=${n.id}>
        <p>${n.body}</p>
        <p class="hint">${n.private ? "Private: only you see it" : `Shared${aboutMeeting(plan, n.meeting_id)}`} · ${fmtTime(n.created_at)}</p>
      </li>`)}
    </ul>`}
    ${plan.status === "accepted" && html`<form onSubmit=${write} aria-label="Write a note">
      <${Field} label="Note" name="body" as="textarea" value=${body} onInput=${(e) => setBody(e.currentTarget.value)} error=${form.errors.body} />
      <${Field} label="Who sees it" name="about" as="select" value=${about} onChange=${(e) => setAbout(e.currentTarget.value)}>
        <option value="">Only me (private)</option>
        ${held.map((m) => html`<option key=${m.id} value=${m.id}>Both of us: meeting ${m.starts_at.yours}</option>`)}
      <//>
      <button type="submit" disabled=${form.busy}>Save note</button>
      <${Alert} error=${form.errors[""] || form.errors.meeting_id} />
    </form>`}
  </section>`;
}

function CheckIns({ plan, send }) {
  const form = useForm();
  const answered = new Set(plan.check_ins.map((c) => c.stage));
  // Only the stages due and not yet answered (the API refuses an early one: it would be final).
  const remaining = plan.check_ins_due;
  const [chosen, setStage] = useState(remaining[0] || "mid");
  const stage = remaining.includes(chosen) ? chosen : remaining[0];
  const [usefulness, setUsefulness] = useState("4");
  const [change, setChange] = useState("");
  const canAnswer = remaining.length > 0;
  // The day each stage not yet open opens, as the API gives it (the rule its 409 and its
  // prompts follow). Only an accepted or ended mentorship has check-ins to answer.
  const later = ["accepted", "ended"].includes(plan.status)
    ? plan.check_in_dates.filter((d) => !answered.has(d.stage) && !remaining.includes(d.stage))
    : [];
  async function answer(e) {
    e.preventDefault();
    await form.submit(() => send(() => post(`/mentorships/${plan.mentorship_id}/check-ins`, { stage, usefulness: Number(usefulness), change })));
  }
  return html`<section aria-labelledby="checkins-h">
    <h2 id="checkins-h">Check-ins</h2>
    <p>Your answers are yours: ${plan.other_name || "the other person"} never sees them; operators see only averages.</p>
    ${plan.check_ins_due.map((s) => html`<${Notice} key=${s}>${STAGES[s]} is due.</${Notice}>`)}
    ${!plan.has_rotation && html`<p>Check-ins are for mentorships tied to a rotation: they open at its middle and 3 days before its end.
      This mentorship is not tied to one, so there is no check-in to answer.</p>`}
    ${later.map((d) => html`<p key=${d.stage}>${STAGES[d.stage]} opens on ${fmtDate(d.opens_on)}.</p>`)}
    ${plan.check_ins.length > 0 && html`<ul aria-label="Your check-ins">${plan.check_ins.map((c) => html`<li key=${c.stage}>
      ${STAGES[c.stage]}: ${c.usefulness} of 5${c.change ? ` · “${c.change}”` : ""}</li>`)}</ul>`}
    ${canAnswer && html`<form onSubmit=${answer} aria-label="Answer a check-in">
      <${Field} label="Check-in" name="stage" as="select" value=${stage} onChange=${(e) => setStage(e.currentTarget.value)}>
        ${remaining.map((s) => html`<option key=${s} value=${s}>${STAGES[s]}</option>`)}
      <//>
      <${Field} label="How useful is this mentorship (1 to 5)" name="usefulness" type="number" min="1" max="5" value=${usefulness}
        onInput=${(e) => setUsefulness(e.currentTarget.value)} error=${form.errors.usefulness} />
      <${Field} label="One thing to change" name="change" value=${change} onInput=${(e) => setChange(e.currentTarget.value)} error=${form.errors.change} />
      <button type="submit" disabled=${form.busy}>Send check-in</button>
      <${Alert} error=${form.errors[""]} />
    </form>`}
  </section>`;
}

export function PlanPage({ id }) {
  const state = useLoad(() => get(`/mentorships/${id}/plan`), [id]);
  const [error, setError] = useState(null);
  useLive(["notification"], (frame) => (frame.type === "reload" || /^(meeting|check_in)/.test(String(frame.data.kind))) && state.reload());
  // Forms show their own errors beside their fields (send rethrows); buttons show theirs
  // at the top of the page (act).
  async function send(call) {
    setError(null);
    await call();
    state.reload();
  }
  const act = (call) => send(call).catch(setError);
  return html`<section>
    <${Loading} state=${state}>${(plan) => html`
      <h1>Mentorship plan with ${plan.other_name || "your partner"}</h1>
      <p>You are the ${plan.role}. <${Status} status=${plan.status} />
        ${plan.stalled && html` <strong>No meeting held yet: propose one.</strong>`}${" "}
        · <a href="#/mentorships">All mentorships</a> · <a href="#/letters">Letters</a></p>
      <${Alert} error=${error} />
      <${Goals} plan=${plan} act=${act} send=${send} />
      <${Meetings} plan=${plan} act=${act} send=${send} />
      <${Notes} plan=${plan} send=${send} />
      <${CheckIns} plan=${plan} send=${send} />`}<//>
  </section>`;
}
