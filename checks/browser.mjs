// Headless Chromium as the checks start it: Debian's build (or $CHROMIUM), with the flags this
// machine's closed network needs (no background connections that would be refused).

import { chromium } from "playwright-core";

/** The browser every check uses. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}
