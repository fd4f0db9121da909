import { useState } from "preact/hooks";
import { api, setCsrf } from "../api.js";
import { ErrorBox, Field } from "../ui.js";

function AuthForm(props: {
  title: string;
  intro?: string;
  submit: string;
  send: (email: string, password: string) => Promise<{ csrf: string }>;
  onDone: () => void;
  newPassword?: boolean;
}) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await props.send(email, password);
      setCsrf(r.csrf);
      if (location.hash.startsWith("#/setup")) location.hash = "#/blocks";
      props.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>{props.title}</h1>
      {props.intro && <p>{props.intro}</p>}
      <form onSubmit={onSubmit}>
        <Field label="Email" id="email">
          <input
            id="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </Field>
        <Field label="Password" id="password" hint={props.newPassword ? "At least 10 characters" : undefined}>
          <input
            id="password"
            type="password"
            autoComplete={props.newPassword ? "new-password" : "current-password"}
            required
            minLength={props.newPassword ? 10 : undefined}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <ErrorBox error={error} />
        <button class="primary" type="submit" disabled={busy}>
          {props.submit}
        </button>
      </form>
    </main>
  );
}

export function SignInPage(props: { setupNeeded: boolean; onDone: () => void }) {
  return (
    <AuthForm
      title="Sign in to opentime"
      intro={
        props.setupNeeded
          ? "No one has an account yet: open the setup link opentime printed at start, or run `opentime user add <email> --role admin`."
          : undefined
      }
      submit="Sign in"
      send={(email, password) => api("/app/auth/login", { method: "POST", json: { email, password } })}
      onDone={props.onDone}
    />
  );
}

export function SetupPage(props: { token: string; onDone: () => void }) {
  return (
    <AuthForm
      title="Create the first admin"
      intro="This link works once. The account you create here can add others with `opentime user add`."
      submit="Create account"
      newPassword
      send={(email, password) =>
        api("/app/auth/setup", { method: "POST", json: { token: props.token, email, password } })
      }
      onDone={props.onDone}
    />
  );
}
