// Drives aws-runas's web page as a person would, in Debian's headless Chromium:
// open the address printed as AWS_RUNAS_PAGE_URL, choose PROFILE under "Profile", type
// MFA_CODE into the "MFA code" dialog (or, with IDP_PASSWORD set, IDP_USERNAME and IDP_PASSWORD
// into the login dialog's "User name" and "Password"), and wait until the page shows PROFILE as served.
// Prints one JSON line: what the page showed, and every URL the browser requested.
import { chromium } from "playwright-core";

const { PAGE_URL, PROFILE, MFA_CODE, IDP_USERNAME, IDP_PASSWORD } = process.env;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  const page = await browser.newPage();
  const requested = [];
  page.on("request", (r) => requested.push(r.url()));
  await page.goto(PAGE_URL);
  await page.getByLabel("Profile").selectOption(PROFILE, { timeout: 10000 });
  if (IDP_PASSWORD) {
    const user = page.getByLabel("User name");
    await user.waitFor({ state: "visible", timeout: 15000 });
    await user.fill(IDP_USERNAME || "");
    await page.getByLabel("Password").fill(IDP_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
  } else {
    const code = page.getByLabel("MFA code");
    await code.waitFor({ state: "visible", timeout: 15000 });
    await code.fill(MFA_CODE);
    await page.getByRole("button", { name: "Send" }).click();
  }
  await page.locator("#served-profile").filter({ hasText: PROFILE }).waitFor({ timeout: 15000 });
  const shown = {
    profile: await page.locator("#served-profile").textContent(),
    role_arn: await page.locator("#served-role").textContent(),
    access_key_id: await page.locator("#served-key").textContent(),
    requested,
  };
  console.log(JSON.stringify(shown));
} finally {
  await browser.close();
}
