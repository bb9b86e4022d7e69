// Shows each <time data-local-time datetime="..."> in the browser's own time zone.
// Without JavaScript the server's text (UTC) stays.
"use strict";
document.querySelectorAll("time[data-local-time]").forEach((el) => {
  const moment = new Date(el.getAttribute("datetime"));
  if (Number.isNaN(moment.getTime())) return;
  el.textContent = moment.toLocaleString(undefined, {
    weekday: "short", day: "2-digit", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
});
