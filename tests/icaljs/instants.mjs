// Reads iCalendar text on stdin with ical.js (Mozilla's parser, used by Thunderbird) and prints,
// as JSON, every VEVENT's UID with its start and end as UTC instants (an all-day event: its
// dates, the end exclusive):
//   {"uid": ["2027-03-29T17:00:00.000Z", "2027-03-29T17:42:00.000Z"], ...}
// Input is one calendar, or a JSON array of calendars (CalDAV resources) read one by one.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = Buffer.concat(chunks).toString("utf8");
const texts = input.startsWith("[") ? JSON.parse(input) : [input];

const out = {};
for (const text of texts) {
  // Register the calendar's VTIMEZONEs first, then parse again so every TZID resolves to them.
  ICAL.TimezoneService.reset();
  for (const zone of new ICAL.Component(ICAL.parse(text)).getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const vevent of calendar.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(vevent);
    if (event.startDate.isDate) {
      if (event.uid in out) throw new Error(`${event.uid}: seen twice`);
      out[event.uid] = [event.startDate.toString(), event.endDate.toString()];
      continue;
    }
    for (const name of ["dtstart", "dtend"]) {
      const tzid = vevent.getFirstProperty(name).getParameter("tzid");
      const zone = vevent.getFirstPropertyValue(name).zone;
      if (!zone || zone.tzid !== tzid) throw new Error(`${event.uid}: ${tzid} not resolved`);
    }
    if (event.uid in out) throw new Error(`${event.uid}: seen twice`);
    out[event.uid] = [event.startDate.toJSDate().toISOString(),
                      event.endDate.toJSDate().toISOString()];
  }
}
process.stdout.write(JSON.stringify(out));
