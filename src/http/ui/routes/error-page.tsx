/** The page for a refused or failed request (statuses as the API's, src/http/problem.ts): what happened, and a way back. */
import type { Ui, UiContext } from "../context.ts";
import { Layout } from "../layout.tsx";

const TITLES: Record<number, string> = {
  400: "Bad request",
  403: "Not allowed",
  401: "Not signed in",
  404: "Not found",
  409: "Changed meanwhile",
  413: "Too large",
  422: "Cannot be saved",
  500: "Something went wrong",
  503: "Unavailable",
};

export function ErrorPage(props: { ui: Ui; c?: UiContext; status: number; message: string }) {
  const principal = props.c?.get("principal");
  const csrf = props.c?.get("csrf");
  const title = TITLES[props.status] ?? "Error";
  return (
    <Layout
      base={props.ui.base}
      title={title}
      session={principal && csrf ? { subject: principal.subject, csrf } : undefined}
    >
      <h1>{title}</h1>
      <p>{props.message}</p>
      <p>
        <a href={`${props.ui.base}/tenants`}>Back to tenants</a>
      </p>
    </Layout>
  );
}
