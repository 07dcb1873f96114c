// Idle logout with a warning (WCAG 2.2.1): a minute before the server-side session would
// end, offer "Stay logged in"; if nobody answers, log out (which also clears patient data
// from the screen). Tabs share the time of the last activity, so an idle tab never logs out
// a reviewer who is working in another one. Without JavaScript, a <noscript> refresh leaves.
(function () {
  "use strict";
  var KEY = "console-last-activity";
  var timeout = Number(document.body.getAttribute("data-idle-timeout")) * 1000;
  var warning = document.getElementById("idle-warning");
  var form = document.getElementById("logout-form");
  if (!timeout || !warning || !form) {
    return;
  }
  var stay = warning.querySelector("button");
  var lead = Math.min(60000, timeout / 4);
  var margin = 5000; // log out just before the server would, so the logout still counts
  var localActivity = Date.now();
  var timer = 0;

  function touch() {
    localActivity = Date.now();
    try {
      window.localStorage.setItem(KEY, String(localActivity));
    } catch (e) {
      // storage unavailable: this tab keeps its own time
    }
  }

  function lastActivity() {
    var shared = 0;
    try {
      shared = Number(window.localStorage.getItem(KEY)) || 0;
    } catch (e) {
      shared = 0;
    }
    return Math.max(shared, localActivity);
  }

  function check() {
    var idle = Date.now() - lastActivity();
    if (idle >= timeout - margin) {
      form.elements.reason.value = "idle";
      form.submit();
      return;
    }
    if (idle >= timeout - lead) {
      if (warning.hidden) {
        warning.hidden = false;
        stay.focus();
      }
      timer = window.setTimeout(check, timeout - margin - idle);
      return;
    }
    warning.hidden = true;
    timer = window.setTimeout(check, timeout - lead - idle);
  }

  function schedule() {
    window.clearTimeout(timer);
    check();
  }

  stay.addEventListener("click", function () {
    var body = new URLSearchParams();
    body.set("csrf_token", form.elements.csrf_token.value);
    window.fetch("/keepalive", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (reply) {
        if (!reply.ok) {
          window.location.assign("/login?expired=1");
          return;
        }
        touch();
        schedule();
      })
      .catch(function () {
        window.location.assign("/login?expired=1");
      });
  });

  window.addEventListener("storage", function (event) {
    if (event.key === KEY) {
      schedule(); // another tab was used
    }
  });

  touch(); // loading this page was a request: the session is fresh
  schedule();
})();
