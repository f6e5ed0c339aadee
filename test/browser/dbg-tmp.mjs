import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
const url = process.argv[2];
const ctx = await chromium.launchPersistentContext(mkdtempSync("/tmp/dbgc-"), {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});
const page = ctx.pages()[0];
page.on("request", async (r) => {
  if (r.method() === "POST") console.log("POST headers", await r.allHeaders(), r.postData()?.slice(0, 80));
});
await page.goto(url + "/admin/login");
await page.getByLabel("Admin token").fill("abc.def.ghi");
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForTimeout(1000);
console.log(await page.locator(".notice, .error-text").allInnerTexts());
await ctx.close();
