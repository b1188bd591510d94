// Show times in the visitor's own zone. The browser's zone is kept in the "tz" cookie and
// follows the browser when it moves (a laptop flown to Tokyo); when it changed and the page
// was drawn for another zone, the page is reloaded. A zone the visitor chose in the selector
// (the page says data-tz-chosen) always wins. Nothing else runs on the page.
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) return;
  var saved = /(?:^|; )tz=([^;]*)/.exec(document.cookie), before = "";
  try { before = saved ? decodeURIComponent(saved[1]).replace(/^"|"$/g, "") : ""; } catch (e) {}
  // Unchanged: nothing to do (and never a reload loop for a zone the site does not know).
  if (before === zone) return;
  document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
  var root = document.documentElement;
  if (root.hasAttribute("data-tz-chosen")) return;
  // Never after a form was sent back with errors: reloading would lose what was typed.
  if (zone !== root.getAttribute("data-tz") && !/[?&]tz=/.test(location.search) &&
      !document.querySelector(".error-summary")) {
    location.replace(location.href);
  }
})();
