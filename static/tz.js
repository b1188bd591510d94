// Show times in the visitor's own zone: remember the browser's zone in a cookie once,
// and reload if the page was drawn for another zone. Nothing else runs on the page.
(function () {
  "use strict";
  if (/(?:^|; )tz=/.test(document.cookie)) return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) return;
  document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
  var shown = document.documentElement.getAttribute("data-tz");
  // Never after a form was sent back with errors: reloading would lose what was typed.
  if (zone !== shown && !/[?&]tz=/.test(location.search) && !document.querySelector(".error-summary")) {
    location.replace(location.href);
  }
})();
