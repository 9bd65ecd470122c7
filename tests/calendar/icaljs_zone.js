// Reads a VTIMEZONE with Mozilla's ical.js (Thunderbird's parser) and answers, from JSON on
// stdin {"vtimezone": text, "local": [[y, m, d, h, min]…]}, the instant (unix seconds) ical.js
// reads for each wall-clock time in that zone, as it does for DTSTART;TZID=… in a calendar.
"use strict";
const path = require("path");
const ICAL = require(path.join(__dirname, "..", "vendor", "ical.js", "ical.es5.cjs"));

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  const zone = new ICAL.Timezone(new ICAL.Component(ICAL.parse(request.vtimezone)));
  const instants = request.local.map(([year, month, day, hour, minute]) =>
    new ICAL.Time({ year, month, day, hour, minute, second: 0, isDate: false }, zone).toUnixTime());
  process.stdout.write(JSON.stringify({ instants }));
});
