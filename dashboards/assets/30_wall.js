/* The wall says, large, when it is not updating and since when.
 *
 * Every Dash callback on /wall goes through window.fetch: a refresh that fails (the server
 * is unreachable, or answers 401/403 because the session ended) shows the banner at once; a
 * refresh that does not arrive at all (the tab was asleep, the interval stopped) shows it
 * once two intervals have passed without one. The next good refresh hides it again.
 */
(function () {
  "use strict";

  var CALLBACK_PATH = "_dash-update-component";
  var lastOk = Date.now();
  var failing = false;
  var shownRoot = null; // the wall the clock was started for (a new page load restarts it)

  function wall() {
    return window.location.pathname === "/wall" ? document.getElementById("wall") : null;
  }

  function refreshMs(root) {
    var value = parseInt(root.getAttribute("data-refresh-ms"), 10);
    return isNaN(value) ? 60000 : value;
  }

  function ago(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) {
      return "under a minute ago";
    }
    if (minutes < 120) {
      return minutes + " min ago";
    }
    return Math.floor(minutes / 60) + " h ago";
  }

  /* The time the page last showed (its "Updated hh:mm:ss"), as hh:mm. */
  function lastUpdatedText() {
    var stamp = document.querySelector("#wall-refreshed [id*='refreshed']");
    var text = stamp ? stamp.textContent.trim() : "";
    return /^\d\d:\d\d/.test(text) ? text.slice(0, 5) : "";
  }

  function render() {
    var root = wall();
    if (!root) {
      return;
    }
    if (root !== shownRoot) {
      shownRoot = root;
      lastOk = Date.now();
      failing = false;
    }
    var banner = document.getElementById("wall-stale");
    var since = document.getElementById("wall-stale-since");
    var note = document.getElementById("wall-refresh-note");
    if (!banner || !since) {
      return;
    }
    var silentFor = Date.now() - lastOk;
    var stale = failing || silentFor > 2 * refreshMs(root) + 5000;
    if (stale) {
      var when = lastUpdatedText();
      since.textContent = (when ? "last updated " + when + ", " : "last updated ") + ago(silentFor);
      banner.hidden = false;
      root.classList.add("wall-not-updating");
      if (note) {
        note.textContent = "not updating";
      }
    } else if (!banner.hidden) {
      banner.hidden = true;
      root.classList.remove("wall-not-updating");
      if (note) {
        note.textContent = "refreshes every " + Math.round(refreshMs(root) / 1000) + " s";
      }
    }
  }

  var originalFetch = window.fetch;
  if (originalFetch) {
    window.fetch = function (resource, init) {
      var url = typeof resource === "string" ? resource : (resource && resource.url) || "";
      var watched = url.indexOf(CALLBACK_PATH) !== -1 && wall() !== null;
      var pending = originalFetch.apply(this, arguments);
      if (!watched) {
        return pending;
      }
      return pending.then(
        function (response) {
          if (response.ok && !response.redirected) {
            lastOk = Date.now();
            failing = false;
          } else {
            failing = true;
          }
          render();
          return response;
        },
        function (error) {
          failing = true;
          render();
          throw error;
        }
      );
    };
  }

  window.setInterval(render, 1000);
})();
