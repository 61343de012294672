// Tells the portal the browser's time zone once, so times are shown in the member's own zone.
// The server keeps it only while the member has chosen none on the profile page.
(function () {
  "use strict";
  var script = document.currentScript;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!script || !zone || !window.fetch) {
    return;
  }
  var body = new URLSearchParams();
  body.set("time_zone", zone);
  window.fetch(script.dataset.url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": script.dataset.csrf },
    body: body,
  }).catch(function () {});
})();
