import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, setCsrf, type User, whenSignedOut } from "./api.js";
import { BlocksPage } from "./pages/blocks.js";
import { CampaignsPage } from "./pages/campaigns.js";
import { CatalogPage } from "./pages/catalog.js";
import { PeoplePage } from "./pages/people.js";
import { SetupPage, SignInPage } from "./pages/signin.js";
import { WrapPage } from "./pages/wrap.js";
import "./style.css";

const useHash = () => {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
};

const NAV = [
  ["blocks", "Blocks"],
  ["campaigns", "Campaigns"],
  ["wrap", "Email wrapper"],
  ["people", "People"],
  ["catalog", "Catalog"],
] as const;

function App() {
  const [me, setMe] = useState<{ user: User | null; setup?: boolean } | null>(null);
  const path = useHash();
  const load = () =>
    api<{ user: User | null; csrf?: string; setup?: boolean }>("/app/auth/me").then(
      (r) => {
        setCsrf(r.csrf ?? "");
        setMe(r);
      },
      () => setMe({ user: null }),
    );
  useEffect(() => {
    whenSignedOut(() => setMe({ user: null }));
    load();
  }, []);
  const section = path[0] || "blocks";
  useEffect(() => {
    const label = NAV.find(([k]) => k === section)?.[1] ?? "Sign in";
    document.title = `${me?.user ? label : "Sign in"} · opentime`;
  }, [section, me]);

  if (!me) return <p class="boot">Loading opentime…</p>;
  if (!me.user) {
    if (section === "setup" && path[1]) return <SetupPage token={path[1]} onDone={load} />;
    return <SignInPage setupNeeded={!!me.setup} onDone={load} />;
  }
  const signOut = async (everywhere: boolean) => {
    await api("/app/auth/logout", { method: "POST", json: { everywhere } }).catch(() => {});
    setCsrf("");
    setMe({ user: null });
    location.hash = "";
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/blocks">
          opentime
        </a>
        <nav aria-label="Main">
          {NAV.map(([k, label]) => (
            <a href={`#/${k}`} aria-current={section === k ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <details class="account">
          <summary>
            {me.user.email} <span class="badge">{me.user.role}</span>
          </summary>
          <div class="menu">
            <button type="button" onClick={() => signOut(false)}>
              Sign out
            </button>
            <button type="button" onClick={() => signOut(true)}>
              Sign out everywhere
            </button>
          </div>
        </details>
      </header>
      <main id="main" tabIndex={-1}>
        {section === "campaigns" && <CampaignsPage id={path[1]} />}
        {section === "wrap" && <WrapPage />}
        {section === "people" && <PeoplePage id={path[1]} user={me.user} />}
        {section === "catalog" && <CatalogPage id={path[1]} />}
        {(section === "blocks" || !NAV.some(([k]) => k === section)) && (
          <BlocksPage id={section === "blocks" ? path[1] : undefined} user={me.user} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById("root")!);
