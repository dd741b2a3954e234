// Mentoring settings on the profile page: your time zone (meetings show in it) and who
// sees you on hospital pages.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { get, patch } from "../api.js";
import { useSession } from "../session.js";
import { Alert, Field, Notice, useForm } from "../ui.js";

const VISIBILITY = {
  nobody: "Nobody",
  students: "Students",
  professionals: "Professionals",
  members: "Every signed-in member",
};
// Browsers list some zones by their old names (CLDR's): "Asia/Calcutta" for India, so a
// student looking for Kolkata found nothing. The IANA names of today, which Wardmate stores.
const RENAMED = {
  "Africa/Asmera": "Africa/Asmara", "America/Buenos_Aires": "America/Argentina/Buenos_Aires", "America/Godthab": "America/Nuuk",
  "America/Indianapolis": "America/Indiana/Indianapolis", "America/Louisville": "America/Kentucky/Louisville",
  "Asia/Calcutta": "Asia/Kolkata", "Asia/Katmandu": "Asia/Kathmandu", "Asia/Rangoon": "Asia/Yangon", "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe", "Europe/Kiev": "Europe/Kyiv", "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei", "Pacific/Truk": "Pacific/Chuuk",
};
const todaysName = (zone) => RENAMED[zone] || zone;
const ZONES = typeof Intl.supportedValuesOf === "function" ? [...new Set(Intl.supportedValuesOf("timeZone").map(todaysName))].sort() : [];
// "Asia/Kolkata (UTC+5:30)": the offset now, so a zone is found by the hours it is apart.
function offsetName(zone) {
  try {
    const part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "shortOffset" })
      .formatToParts(new Date()).find((p) => p.type === "timeZoneName");
    return part ? part.value.replace("GMT", "UTC") : "";
  } catch {
    return "";
  }
}
const zoneLabel = (zone) => {
  const offset = offsetName(zone);
  return `${zone.replaceAll("_", " ")}${offset ? ` (${offset === "UTC" ? "UTC" : offset})` : ""}`;
};
// This device's zone, offered first: a student abroad before the rotation picks it at once.
const DEVICE = todaysName(Intl.DateTimeFormat().resolvedOptions().timeZone || "");

/** Whether a zone not chosen comes from a hospital: a rotation's, else one the user is
 * affiliated with (matching's plan_reads.time_zone); with neither it is Wardmate's default. */
async function zoneFromHospital(me) {
  if (me.profile.hospital_ids.length) return true;
  if (me.user.role !== "student") return false;
  return (await get("/me/rotations", { limit: 1 })).items.length > 0;
}

/** Where the zone shown comes from ("from your hospital's state" was said to a student
 * with no rotation, whose zone is the default). */
function zoneHint(settings, fromHospital, student) {
  if (settings.time_zone_chosen) return "Meeting times show in this zone";
  if (fromHospital) return `Now: ${settings.time_zone}, from your hospital's state`;
  const what = student ? "a rotation" : "a hospital affiliation";
  return `Now: ${settings.time_zone}, Wardmate's default until you add ${what} (its state's zone then applies)`;
}

export function MentoringSettings({ focus }) {
  const { me } = useSession();
  const form = useForm();
  const [settings, setSettings] = useState(null);
  const [fromHospital, setFromHospital] = useState(false);
  const [zone, setZone] = useState("");
  const [visibility, setVisibility] = useState("nobody");
  const [saved, setSaved] = useState(false);
  // Read again when the profile's hospitals change: the zone not chosen follows them.
  const hospitals = me.profile.hospital_ids.join(",");
  useEffect(() => {
    Promise.all([get("/me/mentoring-settings"), zoneFromHospital(me)]).then(([s, hospital]) => {
      setSettings(s);
      setFromHospital(hospital);
      setZone(s.time_zone_chosen ? s.time_zone : "");
      setVisibility(s.hospital_visibility);
    }, () => {});
  }, [hospitals]);
  async function save(e) {
    e.preventDefault();
    setSaved(false);
    const s = await form.submit(() => patch("/me/mentoring-settings", { time_zone: zone || null, hospital_visibility: visibility }));
    if (s) {
      setSettings(s);
      setSaved(true);
    }
  }
  const formRef = useRef(null);
  useEffect(() => {
    const field = settings && focus && formRef.current && formRef.current.querySelector(`[name="${focus}"]`);
    if (field) {
      field.scrollIntoView({ block: "center" });
      field.focus();
    }
  }, [Boolean(settings), focus]);
  if (!settings) return null;
  return html`<form onSubmit=${save} aria-label="Mentoring settings" ref=${formRef}>
    <h2>Mentoring and hospital pages</h2>
    <${Field} label="Time zone" name="time_zone" as="select" value=${zone} onChange=${(e) => setZone(e.currentTarget.value)} error=${form.errors.time_zone}
      hint=${zoneHint(settings, fromHospital, me.user.role === "student")}>
      <option value="">From my hospital's state</option>
      ${DEVICE && ZONES.includes(DEVICE) && html`<option value=${DEVICE}>Use this device's zone: ${zoneLabel(DEVICE)}</option>`}
      ${ZONES.map((z) => html`<option key=${z} value=${z}>${zoneLabel(z)}</option>`)}
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
