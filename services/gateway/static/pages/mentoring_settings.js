// Mentoring settings on the profile page: your time zone (meetings show in it) and who
// sees you on hospital pages.
import { html, useEffect, useState } from "../vendor/preact-htm.js";
import { get, patch } from "../api.js";
import { Alert, Field, Notice, useForm } from "../ui.js";

const VISIBILITY = {
  nobody: "Nobody",
  students: "Students",
  professionals: "Professionals",
  members: "Every signed-in member",
};
const ZONES = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];

export function MentoringSettings() {
  const form = useForm();
  const [settings, setSettings] = useState(null);
  const [zone, setZone] = useState("");
  const [visibility, setVisibility] = useState("nobody");
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    get("/me/mentoring-settings").then((s) => {
      setSettings(s);
      setZone(s.time_zone_chosen ? s.time_zone : "");
      setVisibility(s.hospital_visibility);
    }, () => {});
  }, []);
  async function save(e) {
    e.preventDefault();
    setSaved(false);
    const s = await form.submit(() => patch("/me/mentoring-settings", { time_zone: zone || null, hospital_visibility: visibility }));
    if (s) {
      setSettings(s);
      setSaved(true);
    }
  }
  if (!settings) return null;
  return html`<form onSubmit=${save} aria-label="Mentoring settings">
    <h2>Mentoring and hospital pages</h2>
    <${Field} label="Time zone" name="time_zone" as="select" value=${zone} onChange=${(e) => setZone(e.currentTarget.value)} error=${form.errors.time_zone}
      hint=${settings.time_zone_chosen ? "Meeting times show in this zone" : `Now: ${settings.time_zone}, from your hospital's state`}>
      <option value="">From my hospital's state</option>
      ${ZONES.map((z) => html`<option key=${z} value=${z}>${z}</option>`)}
    <//>
    <${Field} label="Who sees you on hospital pages" name="hospital_visibility" as="select" value=${visibility}
      onChange=${(e) => setVisibility(e.currentTarget.value)} error=${form.errors.hospital_visibility}
      hint="Students rotating at the same hospital in the same weeks, and mentors affiliated with it, appear there only if you allow it">
      ${Object.entries(VISIBILITY).map(([k, v]) => html`<option key=${k} value=${k}>${v}</option>`)}
    <//>
    <button type="submit" disabled=${form.busy}>Save settings</button>
    ${saved && html`<${Notice}>Settings saved</${Notice}>`}
    <${Alert} error=${form.errors[""]} />
  </form>`;
}
