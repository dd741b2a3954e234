// A mentorship's plan (#/mentorships/<id>): goals, meetings shown in both people's time
// zones, shared and private notes, the check-ins. Only the two people see it (the API
// answers anyone else 404).
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { get, patch, post, serverNow } from "../api.js";
import { useLive } from "../session.js";
import {
  Alert, ConfirmButton, Empty, Field, Loading, Notice, Status, fmtDate, fmtMoment, formError, onZoneClock, useFocusOnChange, useForm,
  useInlineForm, useLoad, wallTimeIn,
} from "../ui.js";

/** Two goal titles the API takes for one: in any case, between any spaces. */
const sameTitle = (a, b) => a.replace(/\s+/g, " ").trim().toLowerCase() === b.replace(/\s+/g, " ").trim().toLowerCase();

const STAGES = { mid: "Mid-rotation check-in", end: "End-of-rotation check-in" };

const GOAL_FIELDS = ["title", "measure", "target_date"];

/** After a goal form's answer, focus goes to its first field the API refused, else to its
 * goal title, ready for the next goal: its button, disabled while the request ran (or a
 * suggestion, gone once added), had let focus fall to the page, and useForm's own fix puts
 * it back on the button. Once the answer is on screen (after useForm's). */
function refocus(form) {
  setTimeout(() => {
    if (!form || !form.isConnected) return;
    const target = form.querySelector('[aria-invalid="true"]') || form.querySelector('input[name="title"]');
    if (target) target.focus();
  }, 0);
}

/** A goal's edit form, prefilled; sends only what changed (an empty date removes it). */
function GoalEdit({ goal, send, onClose }) {
  const form = useForm();
  // The goal as the form opened on it: a reload while it is open (the page's own, or a
  // live one) may bring the other person's edit, which a field left alone must not undo.
  const [start] = useState(goal);
  const [title, setTitle] = useState(start.title);
  const [measure, setMeasure] = useState(start.measure);
  const [target, setTarget] = useState(start.target_date || "");
  const box = useRef(null);
  // Opened by "Edit", whose card it replaces: focus goes to its first field, unless the
  // reader is in the form already (this runs after the form is shown: text typed at once
  // into "How you will know it is done" went to the end of the title).
  useEffect(() => {
    if (box.current && !box.current.contains(document.activeElement)) box.current.querySelector("input").focus();
  }, []);
  // The API trims what it stores: spaces around a word are no change. A date out of the
  // API's range (a year back, five ahead) is only sent when it is changed, so an old goal
  // whose date has passed out of range can still have its title edited.
  function changes() {
    const body = {};
    if (title.trim() !== start.title) body.title = title;
    if (measure.trim() !== start.measure) body.measure = measure;
    if ((target || null) !== (start.target_date || null)) body.target_date = target || null;
    return body;
  }
  async function onSubmit(e) {
    e.preventDefault();
    const body = changes();
    if (Object.keys(body).length === 0) {
      onClose();
      return;
    }
    const saved = await form.submit(() => send(() => patch(`/goals/${goal.id}`, body)).then(() => true));
    if (saved) onClose();
    else refocus(box.current);
  }
  function removeDate() {
    setTarget("");
    // The button goes with the date: focus stays on the (now empty) date field.
    const input = box.current && box.current.querySelector('input[name="target_date"]');
    if (input) input.focus();
  }
  const onKeyDown = (e) => e.key === "Escape" && onClose();
  return html`<form ref=${box} onSubmit=${onSubmit} onKeyDown=${onKeyDown} novalidate aria-label=${`Edit the goal “${goal.title}”`}>
    <${Field} label="Goal" name="title" value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} error=${form.errors.title} />
    <${Field} label="How you will know it is done" name="measure" value=${measure} onInput=${(e) => setMeasure(e.currentTarget.value)} error=${form.errors.measure} />
    <${Field} label="By (optional)" name="target_date" type="date" value=${target} onInput=${(e) => setTarget(e.currentTarget.value)} error=${form.errors.target_date} />
    ${target && html`<button type="button" class="secondary" onClick=${removeDate}>Remove the date</button>`}
    <${Alert} error=${formError(form.errors, GOAL_FIELDS)} />
    <p class="actions">
      <button type="submit" disabled=${form.busy}>Save</button>
      <button type="button" class="secondary" onClick=${onClose}>Cancel</button>
    </p>
  </form>`;
}

/** One goal; while the plan is open: done, dropped or reopened (the API takes any status
 * from any other), and edited in place. */
function GoalCard({ goal, open, act, send }) {
  const [editing, setEditing] = useState(false);
  const editButton = useRef(null);
  // Focus goes back to "Edit" when the form closes, not to the top of the page; and to
  // "Edit" when the button pressed ("Mark done", "Reopen") went with the old status.
  const refocus = useRef(false);
  const statusSent = useRef(false);
  const heading = useRef(null);
  const card = useRef(null);
  useEffect(() => {
    if (!editing && refocus.current && editButton.current) editButton.current.focus();
    refocus.current = false;
  }, [editing]);
  // Done, dropped or reopened: focus to the goal's heading, which reads its new status ("…
  // Dropped"). It landed on whichever button took the pressed one's place ("Edit", unsaid),
  // and a second Enter opened the form.
  useEffect(() => {
    const active = document.activeElement;
    const here = !active || active === document.body || (card.current && card.current.contains(active));
    if (statusSent.current && here && heading.current) heading.current.focus();
    statusSent.current = false;
  }, [goal.status]);
  const close = () => {
    refocus.current = true;
    setEditing(false);
  };
  const setStatus = (status) => {
    statusSent.current = true;
    act(() => patch(`/goals/${goal.id}`, { status }));
  };
  if (open && editing) {
    return html`<li class="card" aria-label=${goal.title}><${GoalEdit} goal=${goal} send=${send} onClose=${close} /></li>`;
  }
  // The actions are keyed: a measure or date added by an edit put a paragraph before them,
  // and Preact made the actions' paragraph into it, dropping the Edit button that had
  // focus (Enter in the form saved, and focus fell to the page).
  return html`<li class="card" aria-label=${goal.title} ref=${card}>
    <h3 ref=${heading} tabindex="-1">${goal.title} <${Status} status=${goal.status} /></h3>
    ${goal.measure && html`<p>Done when: ${goal.measure}</p>`}
    ${goal.target_date && html`<p>By ${fmtDate(goal.target_date)}</p>`}
    ${open && html`<p class="actions" key="actions">
      ${goal.status === "open"
        ? html`<button type="button" onClick=${() => setStatus("done")}>Mark done</button>
          <button type="button" class="secondary" onClick=${() => setStatus("dropped")}>Drop</button>`
        : html`<button type="button" class="secondary" onClick=${() => setStatus("open")}>Reopen</button>`}
      <button type="button" class="secondary" ref=${editButton} onClick=${() => setEditing(true)}>Edit</button>
    </p>`}
  </li>`;
}

function Goals({ plan, act, send }) {
  const form = useForm();
  const [title, setTitle] = useState("");
  const [measure, setMeasure] = useState("");
  const [target, setTarget] = useState("");
  const open = plan.status === "accepted";
  const addForm = useRef(null);
  // What was just done, said in a status line (adding a goal was silent to a screen reader).
  const [said, setSaid] = useState(null);
  // The form's goal with its measure and date; a suggested one alone (it took what was typed
  // in the form for another goal, and cleared it).
  const add = async (goalTitle, suggested = false) => {
    const body = suggested ? { title: goalTitle } : { title: goalTitle, measure, target_date: target || undefined };
    setSaid(null);
    await form.submit(() => send(() => post(`/mentorships/${plan.mentorship_id}/goals`, body)).then(() => {
      setSaid(`Goal added: “${goalTitle.trim()}”.`);
      if (suggested) return;
      setTitle("");
      setMeasure("");
      setTarget("");
    }));
    refocus(addForm.current);
  };
  const unused = plan.suggested_goals.filter((g) => !plan.goals.some((x) => sameTitle(x.title, g)));
  return html`<section aria-labelledby="goals-h">
    <h2 id="goals-h">Goals</h2>
    ${plan.goals.length === 0 ? html`<${Empty}>No goals yet.</${Empty}>` : html`<ul class="cards" aria-label="Goals">
      ${plan.goals.map((g) => html`<${GoalCard} key=${g.id} goal=${g} open=${open} act=${act} send=${send} />`)}
    </ul>`}
    ${open && html`
      ${unused.length > 0 && html`<p>${plan.role === "mentor" ? `Suggested for ${plan.other_name || "your student"}'s stage (in their words):` : "Suggested for your stage:"}</p>
        <ul class="suggestions" aria-label="Suggested goals">${unused.map((g) => html`<li key=${g}>
          <button type="button" class="secondary" onClick=${() => add(g, true)}>Add “${g}”</button></li>`)}</ul>`}
      <form ref=${addForm} onSubmit=${(e) => { e.preventDefault(); add(title); }} aria-label="Add a goal">
        <${Field} label="Goal" name="title" value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} error=${form.errors.title} />
        <${Field} label="How you will know it is done" name="measure" value=${measure} onInput=${(e) => setMeasure(e.currentTarget.value)} error=${form.errors.measure} />
        <${Field} label="By (optional)" name="target_date" type="date" value=${target} onInput=${(e) => setTarget(e.currentTarget.value)} error=${form.errors.target_date} />
        <button type="submit" disabled=${form.busy}>Add goal</button>
        <${Alert} error=${form.errors[""]} />
      </form>
      <p class="hint" role="status">${said}</p>`}
  </section>`;
}

/** The zone this device is on (its clock's). */
const deviceZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "";
/** Whether this device's clock reads another time than `zone`'s now: a host in Los Angeles
 * with a plan on New York's default typed 10:00 for 10:00 New York time, told nowhere that
 * the clocks differed. */
const deviceElsewhere = (zone) => Boolean(zone) && !onZoneClock(zone);

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
  // Opened, focus goes to the first time (it fell to the page with the button); closed,
  // back to "Reschedule".
  const inline = useInlineForm("input");
  const [times, setTimes] = useState(["", "", ""]);
  const form = useForm();
  async function onSubmit(e) {
    e.preventDefault();
    const done = await form.submit(() => send(() => post(`/meetings/${meeting.id}/reschedule`, { options: instants(plan, times) })).then(() => true));
    if (done) inline.close();
  }
  if (!inline.open) return html`<button type="button" class="secondary" ref=${inline.button} onClick=${inline.show}>Reschedule</button>`;
  // Escape keeps the meeting as it is, as it closes a goal's edit and every question.
  const onKeyDown = (e) => {
    if (e.key !== "Escape") return;
    e.stopPropagation();
    inline.close();
  };
  return html`<form ref=${inline.form} onSubmit=${onSubmit} onKeyDown=${onKeyDown} novalidate aria-label="New times for this meeting">
    ${meeting.starts_at && html`<p class="hint">Until ${plan.other_name || "they"} accept${plan.other_name ? "s" : ""} one of the new times, the meeting stays at ${meeting.starts_at.yours}.</p>`}
    <${TimeFields} plan=${plan} times=${times} setTimes=${setTimes} error=${form.errors.options} />
    <button type="submit" disabled=${form.busy}>Send the new times</button>
    <button type="button" class="secondary" onClick=${inline.close}>Keep the meeting as it is</button>
    <${Alert} error=${formError(form.errors, ["options"])} />
  </form>`;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// A meeting more than a week away cannot be said to have taken place (the API's
// HELD_EARLIEST): no "We met" then.
const WEEK_MS = 7 * DAY_MS;

// Cancel is for a meeting agreed (new times proposed for it too), or times one proposed
// oneself: a new meeting's times the other side proposed are answered by Decline (both
// showed, with nothing to tell them apart).
function MeetingCard({ meeting, plan, act, send }) {
  const open = plan.status === "accepted";
  const when = meeting.starts_at;
  // "Accept <time>", Decline, "We met" and Cancel leave with the status they acted on:
  // focus goes to the card's heading, its time and new status (it fell to the page).
  const settled = useFocusOnChange(meeting.status);
  const run = async (call) => {
    settled.expect();
    if (!(await act(call))) settled.failed();
  };
  const held = () => run(() => post(`/meetings/${meeting.id}/held`));
  // How far ahead its agreed time is (a scheduled meeting always has one).
  const ahead = when ? Date.parse(when.utc) - serverNow() : 0;
  // New times proposed for a scheduled meeting: it keeps its agreed time until one is
  // accepted (declined, it stays); the card shows both.
  const moving = meeting.status === "proposed" && Boolean(when);
  // A proposal that never had a time agreed (declined, cancelled) is named by the times it
  // offered: three of them read "A new meeting · Cancelled" alike.
  const offered = meeting.options.map((t) => t.yours).join(" or ");
  const title = when ? when.yours : meeting.status === "proposed" ? "A new meeting" : `Proposed for ${offered}`;
  return html`<li class="card" aria-label=${when || meeting.status !== "proposed" ? `Meeting ${title}, ${moving ? "scheduled" : meeting.status}` : "Meeting proposed"}>
    <h3 ref=${settled.ref} tabindex="-1">${title} <${Status} status=${moving ? "scheduled" : meeting.status} /></h3>
    ${when && html`<p>For ${plan.other_name || "them"}: ${when.theirs}</p>`}
    ${moving && html`<p>New times are proposed${meeting.your_turn ? ": accept one to move the meeting, or decline them to keep it at this time." : ": it stays at this time until one is accepted."}</p>`}
    ${meeting.status === "proposed" && html`<ul aria-label=${moving ? "New times proposed" : "Proposed times"}>${meeting.options.map((t) => html`<li key=${t.utc}>
      ${t.yours}${t.theirs !== t.yours ? ` (theirs: ${t.theirs})` : ""}
      ${open && meeting.your_turn && html` <button type="button" onClick=${() => run(() => post(`/meetings/${meeting.id}/accept`, { starts_at: t.utc }))}>Accept ${t.yours}</button>`}
    </li>`)}</ul>`}
    <p>${meeting.duration_minutes} minutes${meeting.place ? ` · ${meeting.place}` : ""}
      ${meeting.video_url && html` · <a href=${meeting.video_url} rel="noopener noreferrer" target="_blank">Video link<span class="sr"> (opens a new tab)</span></a>`}</p>
    ${open && html`<p class="actions">
      ${meeting.status === "proposed" && meeting.your_turn && html`<button type="button" class="secondary" onClick=${() => run(() => post(`/meetings/${meeting.id}/decline`))}>${moving ? "Decline the new times" : "Decline"}</button>`}
      ${(meeting.status === "scheduled" || moving) && ahead <= WEEK_MS && (ahead > DAY_MS
        // A meeting more than a day away said "held" at one press, and counted among the
        // operators' meetings held: asked first, saying when it is (meeting early stays possible).
        ? html`<${ConfirmButton} label="We met" className="" question=${`This meeting is set for ${when.yours}. Say you met already?`}
            yes="Yes, we met" onConfirm=${held} />`
        : html`<button type="button" onClick=${held}>We met</button>`)}
      ${(meeting.status === "scheduled" || (meeting.status === "proposed" && (moving || !meeting.your_turn))) && html`<${ConfirmButton} label="Cancel meeting"
        question=${`Cancel this meeting? ${plan.other_name || "They"} will be told.`} yes="Yes, cancel it" onConfirm=${() => run(() => post(`/meetings/${meeting.id}/cancel`))} />`}
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
  const [said, setSaid] = useState(null);
  async function propose(e) {
    e.preventDefault();
    setSaid(null);
    const body = { options: instants(plan, times), place, video_url: video, duration_minutes: Number(minutes) };
    await form.submit(() => send(() => post(`/mentorships/${plan.mentorship_id}/meetings`, body)).then(() => {
      setTimes(["", "", ""]);
      setPlace("");
      setVideo("");
      setSaid(`Meeting proposed: ${plan.other_name || "your partner"} is asked to choose a time.`);
    }));
  }
  return html`<section aria-labelledby="meetings-h">
    <h2 id="meetings-h">Meetings</h2>
    <p>Times show in your zone (${plan.time_zone}) and in ${plan.other_name || "theirs"}'s (${plan.other_time_zone}). <a href="#/profile?focus=time_zone">Change your time zone</a>.</p>
    ${deviceElsewhere(plan.time_zone) && html`<p class="notice">This device is on ${deviceZone()} time, not ${plan.time_zone}'s: the times you type here are read on ${plan.time_zone}'s clock. If you are in ${deviceZone()} now, <a href="#/profile?focus=time_zone">change your time zone</a> first.</p>`}
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
      <p class="hint" role="status">${said}</p>
    </form>`}
  </section>`;
}

/** Which meeting a shared note is about, in the reader's zone (it said "Shared" alone). */
function aboutMeeting(plan, meetingId) {
  const m = plan.meetings.find((x) => x.id === meetingId);
  return m && m.starts_at ? `, about the meeting of ${m.starts_at.yours}` : "";
}

/** The notes, each timed on the clock of the plan's zone, the one the page names and its
 * meetings' times are on: on the browser's clock a note read "Shared, about the meeting of
 * Dec 10, 2026 at 12:30 PM EST · Dec 7, 1:00 AM GMT+1". */
function Notes({ plan, send }) {
  const form = useForm();
  const [body, setBody] = useState("");
  const [about, setAbout] = useState("");
  // A note shared about a meeting that has (or had) a time: not one cancelled since.
  const held = plan.meetings.filter((m) => m.starts_at && m.status !== "cancelled");
  const [said, setSaid] = useState(null);
  async function write(e) {
    e.preventDefault();
    setSaid(null);
    const payload = about === "" ? { body, private: true } : { body, meeting_id: about };
    await form.submit(() => send(() => post(`/mentorships/${plan.mentorship_id}/notes`, payload)).then(() => {
      setBody("");
      setSaid(about === "" ? "Note saved: only you see it." : `Note saved and shared with ${plan.other_name || "your partner"}.`);
    }));
  }
  return html`<section aria-labelledby="notes-h">
    <h2 id="notes-h">Notes</h2>
    ${plan.notes.length === 0 ? html`<${Empty}>No notes yet.</${Empty}>` : html`<ul class="cards" aria-label="Notes">
      ${plan.notes.map((n) => html`<li class="card" key=${n.id}>
        <p>${n.body}</p>
        <p class="hint">${n.private ? "Private: only you see it" : `Shared${aboutMeeting(plan, n.meeting_id)} · ${n.author_id === plan.other_id ? `by ${plan.other_name || "them"}` : "by you"}`} · ${fmtMoment(n.created_at, plan.time_zone)}</p>
      </li>`)}
    </ul>`}
    ${plan.status === "accepted" && html`<form onSubmit=${write} aria-label="Write a note">
      <${Field} label="Note" name="body" limit=${5000} as="textarea" value=${body} onInput=${(e) => setBody(e.currentTarget.value)} error=${form.errors.body} />
      <${Field} label="Who sees it" name="about" as="select" value=${about} onChange=${(e) => setAbout(e.currentTarget.value)}>
        <option value="">Only me (private)</option>
        ${held.map((m) => html`<option key=${m.id} value=${m.id}>Both of us: meeting ${m.starts_at.yours}</option>`)}
      <//>
      <button type="submit" disabled=${form.busy}>Save note</button>
      <${Alert} error=${form.errors[""] || form.errors.meeting_id} />
      <p class="hint" role="status">${said}</p>
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
  // None preset: one tap sent a final "4 of 5" nobody chose.
  const [usefulness, setUsefulness] = useState("");
  const [sent, setSent] = useState(null);
  const [change, setChange] = useState("");
  const canAnswer = remaining.length > 0;
  // The day each stage not yet open opens, as the API gives it (the rule its 409 and its
  // prompts follow). Only an accepted or ended mentorship has check-ins to answer.
  const later = ["accepted", "ended"].includes(plan.status)
    ? plan.check_in_dates.filter((d) => !answered.has(d.stage) && !remaining.includes(d.stage))
    : [];
  async function answer(e) {
    e.preventDefault();
    if (!usefulness) {
      form.refuse({ usefulness: "Choose how useful it is, from 1 to 5." });
      return;
    }
    const body = { stage, usefulness: Number(usefulness), change };
    if (await form.submit(() => send(() => post(`/mentorships/${plan.mentorship_id}/check-ins`, body)).then(() => true))) {
      // The form goes with the stage answered, and focus with it: the notice takes it.
      setSent({ text: `${STAGES[stage]} sent.`, at: Date.now() });
      setUsefulness("");
      setChange("");
    }
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
    ${sent && html`<${Notice} focus key=${sent.at}>${sent.text}</${Notice}>`}
  </section>`;
}

// Opened by URL: someone else's mentorship, or none (the API answers 404 alike). It said
// only "Mentorship not found", in red, with no heading and no way back.
function MentorshipGone() {
  return html`<section>
    <h1>This mentorship is not here</h1>
    <p>It was deleted, or it is between two other people.</p>
    <p><a href="#/mentorships">Your mentorships</a></p>
  </section>`;
}

/** A request the student withdrew, or the mentor declined, before it was accepted: never
 * accepted, so no plan (the API refuses its writes). A withdrawn one offered goals,
 * meetings and check-ins; a declined one, opened by its URL, showed them empty. */
function NoPlan({ plan }) {
  const mentor = plan.role === "mentor";
  const other = plan.other_name || (mentor ? "The student" : "The mentor");
  const why = plan.status === "declined"
    ? (mentor ? "You declined this request" : `${other} declined this request`)
    : (mentor ? `${other} withdrew this request before you accepted it` : "You withdrew this request before it was accepted");
  return html`
    <h1>Mentorship request ${mentor ? "from" : "to"} ${plan.other_name || (mentor ? "a student" : "a mentor")}</h1>
    <p><${Status} status=${plan.status} /> · <a href="#/mentorships">All mentorships</a></p>
    <p>${why}: it has no plan, so no goals, meetings, notes or check-ins.</p>
    ${!mentor && plan.status === "declined" && html`<p><a href="#/rotations">Ask another mentor</a> from your rotation's matches.</p>`}`;
}

export function PlanPage({ id }) {
  const state = useLoad(() => get(`/mentorships/${id}/plan`), [id]);
  const [error, setError] = useState(null);
  useLive(["notification"], (frame) => (frame.type === "reload" || /^(meeting|check_in|plan_updated)/.test(String(frame.data.kind))) && state.reload());
  // Forms show their own errors beside their fields (send rethrows); buttons show theirs
  // at the top of the page (act, which answers whether the call went through).
  async function send(call) {
    setError(null);
    await call();
    state.reload();
  }
  const act = (call) => send(call).then(() => true, (err) => {
    setError(err);
    return false;
  });
  return html`<${Loading} state=${state} notFound=${html`<${MentorshipGone} />`}>${(plan) => html`<section>
      ${plan.status === "withdrawn" || plan.status === "declined" ? html`<${NoPlan} plan=${plan} />` : html`
      <h1>Mentorship plan with ${plan.other_name || "your partner"}</h1>
      <p>You are the ${plan.role}. <${Status} status=${plan.status} />
        ${plan.stalled && html` <strong>No meeting held yet: propose one.</strong>`}${" "}
        · <a href="#/mentorships">All mentorships</a> · <a href="#/letters">Letters</a></p>
      <${Alert} error=${error} />
      <${Goals} plan=${plan} act=${act} send=${send} />
      <${Meetings} plan=${plan} act=${act} send=${send} />
      <${Notes} plan=${plan} send=${send} />
      <${CheckIns} plan=${plan} send=${send} />`}
    </section>`}<//>`;
}
