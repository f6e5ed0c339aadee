/** The page for 403, 404, 413, 422 and 500: what happened, and a way back. */
import type { Ui, UiContext } from "../context.ts";
import { Layout } from "../layout.tsx";

const TITLES: Record<number, string> = {
  400: "Bad request",
  403: "Not allowed",
  404: "Not found",
  413: "Too large",
  422: "Cannot be saved",
  500: "Something went wrong",
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
