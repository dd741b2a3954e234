// Operators' cohort match rounds: queue one (a hospital's month, or a scramble of what a
// finished round left unmatched), follow it while it runs, read its report, chart and
// assignment, and accept it (its matches become mentorship requests).
import { html, useEffect, useState } from "../vendor/preact-htm.js";
import { get, post } from "../api.js";
import {
  Alert, ConfirmButton, Empty, Field, HospitalPicker, Loading, Notice, Status, fmtTime, formError, go, today, useForm, useLoad, words,
} from "../ui.js";

// A round still queued or running is asked again this often.
const POLL_MS = 500;
const running = (round) => round.status === "queued" || round.status === "running";
const finished = (round) => round.status === "done" || round.status === "accepted";

function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : { 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th";
  return `${n}${suffix}`;
}

function roundName(round) {
  return round.title || `${round.kind === "scramble" ? "Scramble" : "Round"} of ${fmtTime(round.created_at)}`;
}

/** What accepting made, and why some matches made no request. */
function acceptedText(round) {
  const n = round.requests_made;
  const skipped = round.accept_skipped || {};
  const why = [];
  if (skipped.already_requested) why.push(`${skipped.already_requested} pair${skipped.already_requested === 1 ? " already had" : "s already had"} a request`);
  if (skipped.not_mentoring) why.push(`${skipped.not_mentoring} mentor${skipped.not_mentoring === 1 ? " no longer mentors" : "s no longer mentor"}`);
  if (skipped.blocked) why.push(`${skipped.blocked} pair${skipped.blocked === 1 ? " has" : "s have"} a block between them`);
  return `Accepted ${fmtTime(round.accepted_at)}: ${n} mentorship request${n === 1 ? "" : "s"} made`
    + `${why.length ? ` (not made: ${why.join("; ")})` : ""}. Each mentor accepts or declines as usual.`;
}

/** Reloads `state` every POLL_MS while `keepGoing(data)` holds. */
function usePoll(state, keepGoing) {
  useEffect(() => {
    if (!state.data || !keepGoing(state.data)) return undefined;
    const timer = setTimeout(state.reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [state.data]);
}

/** The display names of users, fetched once each (an assignment holds only ids). */
const names = new Map();
function useNames(ids) {
  const [, setTick] = useState(0);
  const key = ids.join(",");
  useEffect(() => {
    const missing = ids.filter((id) => id && !names.has(id));
    if (!missing.length) return;
    for (const id of missing) names.set(id, null);
    Promise.all(missing.map((id) => get(`/users/${id}`).then((u) => names.set(id, u.display_name), () => names.set(id, `User ${id.slice(0, 8)}`)))).then(
      () => setTick((t) => t + 1),
    );
  }, [key]);
  return (id) => names.get(id) || "…";
}

function nextMonth() {
  return today(31).slice(0, 7);
}

function NewRound({ rounds }) {
  const [source, setSource] = useState("selection");
  const [hospital, setHospital] = useState(null);
  const [f, setF] = useState({ month: nextMonth(), radius_km: "0", proposing: "students", scramble_of: "" });
  const form = useForm("selection");
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.value });
  const scramblable = rounds.filter((r) => finished(r) && r.unmatched > 0);
  async function onSubmit(e) {
    e.preventDefault();
    let body;
    if (source === "selection") {
      if (!hospital) {
        form.refuse({ hospital_id: "Choose the hospital from the suggestions" }); // focus goes there
        return;
      }
      const radius = f.radius_km === "" ? 0 : Number(f.radius_km);
      body = { selection: { hospital_id: hospital.id, month: f.month, radius_km: radius }, proposing: f.proposing };
    } else {
      if (!f.scramble_of) {
        form.refuse({ scramble_of: "Choose a finished round with unmatched rotations" });
        return;
      }
      body = { scramble_of: f.scramble_of, proposing: f.proposing };
    }
    const round = await form.submit(() => post("/admin/match-rounds", body));
    if (round) go(`/admin/rounds/${round.id}`);
  }
  const err = form.errors;
  return html`<form onSubmit=${onSubmit} novalidate aria-labelledby="new-round-h">
    <h2 id="new-round-h">New round</h2>
    <fieldset>
      <legend>Who takes part</legend>
      <label class="radio"><input type="radio" name="source" value="selection" checked=${source === "selection"}
        onChange=${() => setSource("selection")} /> A hospital's month</label>
      <label class="radio"><input type="radio" name="source" value="scramble" checked=${source === "scramble"}
        onChange=${() => setSource("scramble")} /> The rotations a finished round left unmatched</label>
    </fieldset>
    ${source === "selection" ? html`
      <${HospitalPicker} value=${hospital} onPick=${setHospital} error=${err.hospital_id} />
      <div class="row">
        <${Field} label="Rotations starting in" name="month" type="month" value=${f.month} onInput=${set("month")} error=${err.month} hint="Year and month, e.g. 2027-03" />
        <${Field} label="Mentors within (km)" name="radius_km" type="number" inputmode="decimal" min="0" max="200" value=${f.radius_km}
          onInput=${set("radius_km")} error=${err.radius_km} hint="0: mentors affiliated with this hospital only" />
      </div>`
      : scramblable.length === 0 ? html`<${Empty}>No finished round left a rotation unmatched.</${Empty}>`
      : html`<${Field} as="select" label="Round to scramble" name="scramble_of" value=${f.scramble_of} onChange=${set("scramble_of")} error=${err.scramble_of}>
          <option value="">Choose a round</option>
          ${scramblable.map((r) => html`<option key=${r.id} value=${r.id}>${roundName(r)}: ${r.unmatched} unmatched</option>`)}
        <//>`}
    <${Field} as="select" label="Proposing side" name="proposing" value=${f.proposing} onChange=${set("proposing")} error=${err.proposing}
      hint="Students: the best stable matching for students; mentors: the best for mentors">
      <option value="students">Students</option><option value="mentors">Mentors</option>
    <//>
    <${Alert} error=${formError(err, ["hospital_id", "month", "radius_km", "scramble_of", "proposing"])} />
    <button type="submit" disabled=${form.busy}>Queue round</button>
  </form>`;
}

function Progress({ round }) {
  const { stage, done, total } = round.progress;
  return html`<div class="progress">
    <progress aria-label="Progress" max=${total || 1} value=${total ? done : undefined}></progress>
    <p role="status">${words(stage).replace(/^./, (c) => c.toUpperCase())}${total ? `: ${done} of ${total}` : ""}…</p>
  </div>`;
}

function Report({ round }) {
  const dist = Object.entries(round.rank_distribution || {}).sort(([a], [b]) => Number(a) - Number(b));
  const described = dist.map(([rank, n]) => `${ordinal(Number(rank))} choice: ${n}`).concat(round.unmatched ? [`unmatched: ${round.unmatched}`] : []);
  return html`<section aria-labelledby="report-h">
    <h2 id="report-h">Result</h2>
    <dl class="facts" aria-label="Counts">
      <dt>Rotations</dt><dd>${round.students}</dd>
      <dt>Mentors</dt><dd>${round.mentors}, with ${round.seats} seat${round.seats === 1 ? "" : "s"}</dd>
      <dt>Matched</dt><dd>${round.matched}</dd>
      <dt>Unmatched</dt><dd>${round.unmatched}</dd>
      <dt>Unfilled seats</dt><dd>${round.unfilled_seats}</dd>
      <dt>Blocking pairs</dt><dd>${round.blocking_pairs}${round.blocking_pairs === 0 ? " (stable)" : ""}</dd>
    </dl>
    <h3>Rank distribution</h3>
    ${dist.length === 0 ? html`<${Empty}>No rotation was matched.</${Empty}>`
      : html`<ul class="plain" aria-label="Rank distribution">${dist.map(([rank, n]) => html`<li key=${rank}>${ordinal(Number(rank))} choice: ${n}</li>`)}</ul>`}
    ${round.chart_svg && html`<img class="chart" src=${`data:image/svg+xml;charset=utf-8,${encodeURIComponent(round.chart_svg)}`}
      alt=${`Chart of the rank distribution: ${described.join(", ")}`} />`}
  </section>`;
}

const PAGE = 25;

function Assignment({ round }) {
  const [cursors, setCursors] = useState([undefined]);
  const cursor = cursors[cursors.length - 1];
  const state = useLoad(() => get(`/admin/match-rounds/${round.id}/assignments`, { limit: PAGE, cursor }), [round.id, cursor]);
  const items = state.data ? state.data.items : [];
  const name = useNames(items.flatMap((a) => [a.student_id, a.mentor_id]));
  return html`<section aria-labelledby="assignment-h">
    <h2 id="assignment-h">Assignment</h2>
    <${Loading} state=${state}>${(page) => page.items.length === 0 ? html`<${Empty}>No rotations.</${Empty}>` : html`
      <div class="table-wrap"><table>
        <caption>Each rotation's mentor${cursors.length > 1 ? `, page ${cursors.length}` : ""}</caption>
        <thead><tr><th scope="col">Student</th><th scope="col">Mentor</th><th scope="col">Rank</th></tr></thead>
        <tbody>${page.items.map((a) => html`<tr key=${a.rotation_id}>
          <td><a href=${`#/users/${a.student_id}`}>${name(a.student_id)}</a></td>
          <td>${a.mentor_id ? html`<a href=${`#/users/${a.mentor_id}`}>${name(a.mentor_id)}</a>` : "Unmatched"}</td>
          <td>${a.rank ? `${ordinal(a.rank)} choice` : "—"}</td>
        </tr>`)}</tbody>
      </table></div>
      <p class="actions">
        ${cursors.length > 1 && html`<button type="button" class="secondary" onClick=${() => setCursors(cursors.slice(0, -1))}>Previous page</button>`}
        ${page.next_cursor && html`<button type="button" class="secondary" onClick=${() => setCursors([...cursors, page.next_cursor])}>Next page</button>`}
      </p>`}<//>
  </section>`;
}

function Actions({ round, onChange }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  // Accepted here (not found accepted on load): its notice takes focus, which the question
  // it replaced held.
  const [accepted, setAccepted] = useState(false);
  async function run(action) {
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const accept = () => run(async () => {
    await post(`/admin/match-rounds/${round.id}/accept`, {});
    setAccepted(true);
    onChange();
  });
  const scramble = () => run(async () => go(`/admin/rounds/${(await post("/admin/match-rounds", { scramble_of: round.id })).id}`));
  return html`
    ${round.status === "accepted" && html`<${Notice} focus=${accepted}>${acceptedText(round)}</${Notice}>`}
    <p class="actions">
      ${round.status === "done" && !busy && html`<${ConfirmButton} className="" label="Accept: send mentorship requests"
        question="Send a mentorship request to the mentor of each pair? Each mentor is asked, and each student told; this cannot be taken back."
        yes="Yes, send them" onConfirm=${accept} />`}
      ${finished(round) && round.unmatched > 0 && html`<button type="button" class="secondary" disabled=${busy} onClick=${scramble}>Scramble the unmatched rotations</button>`}
    </p>
    <${Alert} error=${error} />`;
}

export function RoundPage({ id }) {
  const state = useLoad(() => get(`/admin/match-rounds/${id}`), [id]);
  usePoll(state, running);
  return html`<section>
    <p><a href="#/admin/rounds">All match rounds</a></p>
    <${Loading} state=${state}>${(round) => html`
        <h1>${roundName(round)}</h1>
        <p><${Status} status=${round.status} /> · ${round.proposing === "mentors" ? "mentors propose" : "students propose"}
          ${round.scramble_of && html` · scramble of <a href=${`#/admin/rounds/${round.scramble_of}`}>an earlier round</a>`}
          ${round.finished_at && ` · finished ${fmtTime(round.finished_at)}`}</p>
        ${running(round) && html`<${Progress} round=${round} />`}
        ${round.status === "failed" && html`<${Alert} error=${`The round failed: ${round.error}`} />`}
        ${finished(round) && html`
          <${Actions} round=${round} onChange=${state.reload} />
          <${Report} round=${round} />
          <${Assignment} round=${round} />`}`}<//>
  </section>`;
}

export function Rounds() {
  const [more, setMore] = useState([]);
  const state = useLoad(() => get("/admin/match-rounds", { limit: 20 }), []);
  usePoll(state, (page) => page.items.some(running));
  async function loadMore(cursor) {
    const page = await get("/admin/match-rounds", { limit: 20, cursor });
    setMore([...more, page]);
  }
  return html`<section>
    <p><a href="#/admin">Operators</a></p>
    <h1>Cohort match rounds</h1>
    <p>A round pairs the students' rotations with mentors all at once, stably: no rotation and
      mentor would both rather have each other than what the round gave them.</p>
    <${Loading} state=${state}>${(first) => {
      const all = [first, ...more];
      const items = all.flatMap((p) => p.items);
      const next = all[all.length - 1].next_cursor;
      return html`
        <${NewRound} rounds=${items} />
        <h2>Rounds</h2>
        ${items.length === 0 ? html`<${Empty}>No rounds yet.</${Empty}>`
          : html`<ul class="cards" aria-label="Match rounds">${items.map((r) => html`<li class="card" key=${r.id}>
            <h3><a href=${`#/admin/rounds/${r.id}`}>${roundName(r)}</a></h3>
            <p><${Status} status=${r.status} />${finished(r) ? ` · ${r.matched} of ${r.students} rotations matched` : ""}</p>
          </li>`)}</ul>`}
        ${next && html`<button type="button" class="secondary" onClick=${() => loadMore(next)}>More rounds</button>`}`;
    }}<//>
  </section>`;
}
