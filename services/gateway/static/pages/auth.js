// Sign up and log in. The gateway sets the HttpOnly session cookie and the CSRF cookie.
import { html, useEffect, useState } from "../vendor/preact-htm.js";
import { post } from "../api.js";
import { useSession } from "../session.js";
import { Alert, Field, HospitalPicker, Notice, PlacePicker, focusHeading, formError, go, hospitalLabel, parseHash, useForm } from "../ui.js";

// What the page that logged the user out has to tell them (the account's deletion), shown
// once by the login page they land on: they were left on it with no word. The login page
// may already be showing when it comes (the live feed's session_ended can come before the
// deletion's reply), so one that is open hears it too.
let farewell = null;
const farewellListeners = new Set();

/** Has the login page, open or next shown, say `text`. */
export function sayOnLogin(text) {
  farewell = text;
  for (const fn of farewellListeners) fn();
}

/** Where to go after logging in: a `next` path given by the page that sent the visitor
 * here (a listing's "Log in to book"), never another site (it becomes the fragment after
 * "#": "/", not "//"). A room opened from a hospital search names the hospital with "+"
 * for its spaces: refused, it sent every such visitor Home (or to their profile). */
function nextPath(query) {
  const next = query && query.next;
  return next && /^\/(?!\/)[\w\-/?=&.%,+:~]*$/.test(next) ? next : null;
}

/** What Wardmate is, and a search anyone can start, above the login form. */
function Welcome() {
  return html`<section aria-labelledby="welcome-h" class="welcome">
    <h1 id="welcome-h">Wardmate: a room and a mentor for your rotation</h1>
    <p>Medical students and graduates on clinical rotations find <strong>rooms near their rotation's hospital</strong>, offered by
      verified medical professionals, and <strong>mentors who share their path</strong>: their specialty, school,
      country or language. No fees for students.</p>
    <ul class="trust" aria-label="Why you can trust a room here">
      <li><strong>Vetted hosts.</strong> Every host is a medical professional; ✓ Verified means Wardmate checked their NPI or licence.</li>
      <li><strong>Your money held.</strong> You pay through Wardmate, which holds it until 24 hours after check-in. Never pay a host by wire, gift card or app.</li>
      <li><strong>Near your hospital.</strong> Each room says how far it is from the hospital you search by; its exact address shows once your stay is paid.</li>
    </ul>
    <div class="row">
      <${HospitalPicker} label="Find a room near a hospital" name="welcome_hospital"
        onPick=${(h) => go("/search", { hospital: h.id, hname: hospitalLabel(h), lat: h.latitude, lon: h.longitude })} />
      <${PlacePicker} label="Or near a city or ZIP code" name="welcome_place"
        onPick=${(p) => go("/search", { place: p.kind === "zip" ? p.zip : p.label })} />
    </div>
    <h2 id="how-h">How it works</h2>
    <ol class="steps" aria-labelledby="how-h">
      <li><strong>Add your rotation:</strong> its hospital, dates and specialty. Wardmate suggests rooms free for those
        nights and mentors of that specialty.</li>
      <li><strong>Ask a host for your dates.</strong> Each room shows its distance, the price of your whole stay, the
        host's specialty and what earlier guests wrote.</li>
      <li><strong>Pay through Wardmate</strong> once the host accepts, by the deadline the request shows. The address
        shows then; cancel by the room's policy if your rotation moves.</li>
      <li><strong>Find a mentor:</strong> ask a host or another professional, plan goals and meetings together, and
        ask for a letter of recommendation near the end.</li>
    </ol>
    <p>A physician, resident or other medical professional?${" "}
      <a href="#/signup?role=professional">Rent a room near your hospital to students, mentor them, or both</a>.</p>
  </section>`;
}

export function Login({ query = {} }) {
  const { refreshMe } = useSession();
  const form = useForm();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const next = nextPath(query);
  const landing = parseHash().path === "/";
  // "#/login" (bookmarked, or typed) goes Home once logged in, as the landing does: it
  // stayed on #/login, which logged in is no page ("Not found").
  const toHome = landing || parseHash().path === "/login";
  const [notice, setNotice] = useState(null);
  useEffect(() => {
    const show = () => {
      if (farewell) setNotice(farewell);
      farewell = null;
    };
    show();
    farewellListeners.add(show);
    return () => farewellListeners.delete(show);
  }, []);
  async function onSubmit(e) {
    e.preventDefault();
    // Empty, each says so beside itself (it was "Email or password is incorrect").
    const missing = {};
    if (!email.trim()) missing.email = "Required.";
    if (!password) missing.password = "Required.";
    if (Object.keys(missing).length) return form.refuse(missing);
    const ok = await form.submit(() => post("/auth/login", { email, password }));
    if (ok) {
      // Back where the visitor was: the page that asked them to log in, or the protected
      // page they opened (shown as this form until now), else Home.
      if (next) go(next);
      else if (toHome) location.hash = "#/";
      await refreshMe();
      // Logged in where the form was (#/, or the protected page it stood for), the URL is
      // the same: no hashchange moves focus to the new page's heading, so this does.
      focusHeading();
    }
  }
  return html`<div>
    ${notice && html`<${Notice}>${notice}<//>`}
    ${landing && !next && html`<${Welcome} />`}
    <section class="narrow" aria-labelledby="login-h">
    ${landing && !next ? html`<h2 id="login-h">Log in</h2>` : html`<h1 id="login-h">Log in</h1>`}
    ${next && html`<p>Log in to continue; you come back to the page you were on.</p>`}
    <form onSubmit=${onSubmit} novalidate>
      <${Field} label="Email" name="email" type="email" autocomplete="username" required value=${email}
        onInput=${(e) => setEmail(e.currentTarget.value)} error=${form.errors.email} />
      <${Field} label="Password" name="password" type="password" autocomplete="current-password" required
        value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} error=${form.errors.password} />
      <${Alert} error=${formError(form.errors, ["email", "password"])} />
      <button type="submit" disabled=${form.busy}>Log in</button>
    </form>
    <p><a href="#/forgot-password">Forgot password?</a></p>
    <p>New to Wardmate? <a href=${next ? `#/signup?next=${encodeURIComponent(next)}` : "#/signup"}>Create an account</a>. Or <a href="#/search">browse rooms</a> first.</p>
  </section></div>`;
}

export function Signup({ query = {} }) {
  const { refreshMe } = useSession();
  const next = nextPath(query);
  const form = useForm();
  // "#/signup?role=professional" (the landing's line for hosts) starts on that choice.
  const [f, setF] = useState({
    display_name: "", email: "", password: "", role: query.role === "professional" ? "professional" : "student",
  });
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.value });
  async function onSubmit(e) {
    e.preventDefault();
    const ok = await form.submit(() => post("/auth/signup", f));
    if (ok) {
      if (next) go(next);
      else location.hash = "#/profile";
      await refreshMe();
      // The hashchange focused the heading of the page shown until the session came (the
      // login form standing for #/profile), which then gave way: focus fell to the page.
      focusHeading();
    }
  }
  return html`<section class="narrow">
    <h1>Create your account</h1>
    <form onSubmit=${onSubmit} novalidate>
      <fieldset>
        <legend>I am</legend>
        <label class="radio"><input type="radio" name="role" value="student" checked=${f.role === "student"}
          onChange=${set("role")} /> A medical student, or a graduate on a rotation or observership</label>
        <label class="radio"><input type="radio" name="role" value="professional" checked=${f.role === "professional"}
          onChange=${set("role")} /> A medical professional (host or mentor)</label>
        ${form.errors.role && html`<p class="error">${form.errors.role}</p>`}
      </fieldset>
      <${Field} label="Name" name="display_name" autocomplete="name" required value=${f.display_name}
        onInput=${set("display_name")} error=${form.errors.display_name} />
      <${Field} label="Email" name="email" type="email" autocomplete="email" required value=${f.email}
        onInput=${set("email")} error=${form.errors.email} />
      <${Field} label="Password" name="password" type="password" autocomplete="new-password" required minlength="10"
        hint="At least 10 characters" value=${f.password} onInput=${set("password")} error=${form.errors.password} />
      <${Alert} error=${formError(form.errors, ["role", "display_name", "email", "password"])} />
      <button type="submit" disabled=${form.busy}>Sign up</button>
    </form>
    <p>Already have an account? <a href="#/login">Log in</a>.</p>
  </section>`;
}
