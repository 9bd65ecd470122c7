// Parses an iCalendar file from stdin with Mozilla's ical.js (the parser of Thunderbird's
// calendar), registers every VTIMEZONE the file carries, and prints one JSON object per
// VEVENT: its UID, SEQUENCE, STATUS and start/end as UTC ISO 8601 instants.
"use strict";
const path = require("path");
const ICAL = require(path.join(__dirname, "..", "vendor", "ical.js", "ical.es5.cjs"));

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const root = new ICAL.Component(ICAL.parse(input));
  for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  const events = root.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      sequence: event.sequence,
      status: vevent.getFirstPropertyValue("status"),
      summary: event.summary,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      start_tzid: event.startDate.zone ? event.startDate.zone.tzid : null,
    };
  });
  process.stdout.write(JSON.stringify({
    method: root.getFirstPropertyValue("method"),
    name: root.getFirstPropertyValue("x-wr-calname"),
    timezones: root.getAllSubcomponents("vtimezone").map((tz) => tz.getFirstPropertyValue("tzid")),
    events,
  }));
});
