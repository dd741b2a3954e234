// Sign up and log in. The gateway sets the HttpOnly session cookie and the CSRF cookie.
import { html, useState } from "../vendor/preact-htm.js";
import { post } from "../api.js";
import { useSession } from "../session.js";
import { Alert, Field, formError, useForm } from "../ui.js";

export function Login() {
  const { refreshMe } = useSession();
  const form = useForm();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  async function onSubmit(e) {
    e.preventDefault();
    const ok = await form.submit(() => post("/auth/login", { email, password }));
    if (ok) {
      location.hash = "#/";
      await refreshMe();
    }
  }
  return html`<section class="narrow">
    <h1>Log in</h1>
    <p>Rooms near your rotation's hospital, and mentors who share your path.</p>
    <form onSubmit=${onSubmit} novalidate>
      <${Field} label="Email" name="email" type="email" autocomplete="username" required value=${email}
        onInput=${(e) => setEmail(e.currentTarget.value)} error=${form.errors.email} />
      <${Field} label="Password" name="password" type="password" autocomplete="current-password" required
        value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} error=${form.errors.password} />
      <${Alert} error=${formError(form.errors, ["email", "password"])} />
      <button type="submit" disabled=${form.busy}>Log in</button>
    </form>
    <p><a href="#/forgot-password">Forgot password?</a></p>
    <p>New to Wardmate? <a href="#/signup">Create an account</a>. Or <a href="#/search">browse rooms</a> first.</p>
  </section>`;
}

export function Signup() {
  const { refreshMe } = useSession();
  const form = useForm();
  const [f, setF] = useState({ display_name: "", email: "", password: "", role: "student" });
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.value });
  async function onSubmit(e) {
    e.preventDefault();
    const ok = await form.submit(() => post("/auth/signup", f));
    if (ok) {
      location.hash = "#/profile";
      await refreshMe();
    }
  }
  return html`<section class="narrow">
    <h1>Create your account</h1>
    <form onSubmit=${onSubmit} novalidate>
      <fieldset>
        <legend>I am</legend>
        <label class="radio"><input type="radio" name="role" value="student" checked=${f.role === "student"}
          onChange=${set("role")} /> A medical student</label>
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
    <p>Already have an account? <a href="#/">Log in</a>.</p>
  </section>`;
}
