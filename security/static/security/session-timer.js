// Warns a signed-in member before the session ends for inactivity, and keeps tabs in step.
// The server enforces the limits; this script only tells the member ahead of time, and at the
// deadline asks the server, which ends the session then (its own clock decides, not this one).
(function () {
  "use strict";

  var body = document.body;
  var dialog = document.getElementById("session-timeout-dialog");
  if (!dialog || !body.dataset.idleSeconds) {
    return;
  }
  var idleSeconds = Number(body.dataset.idleSeconds);
  var warningSeconds = Number(body.dataset.warningSeconds);
  var statusUrl = body.dataset.sessionStatusUrl;
  var loginUrl = body.dataset.loginUrl;
  var countdown = document.getElementById("session-timeout-countdown");
  var stayForm = document.getElementById("session-stay-form");
  var signOutForms = document.querySelectorAll("form.sign-out, #session-sign-out-form");
  var channel = "BroadcastChannel" in window ? new BroadcastChannel("portal-session") : null;
  var deadline = Date.now() + idleSeconds * 1000;
  var lastFocus = null;
  var checking = false;

  // Rounded up: it reaches 0 only once the deadline has passed.
  function secondsLeft() {
    return Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  }

  function formatTime(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function openDialog() {
    if (!dialog.hidden) {
      return;
    }
    lastFocus = document.activeElement;
    dialog.hidden = false;
    document.getElementById("session-stay-button").focus();
  }

  function closeDialog() {
    if (dialog.hidden) {
      return;
    }
    dialog.hidden = true;
    if (lastFocus && lastFocus.focus) {
      lastFocus.focus();
    }
  }

  // With a reason, sign-in says why, and ends the session there if it is somehow still live.
  function goToSignIn(reason) {
    var next = window.location.pathname + window.location.search;
    var why = reason ? "signed_out=" + encodeURIComponent(reason) + "&" : "";
    window.location.assign(loginUrl + "?" + why + "next=" + encodeURIComponent(next));
  }

  function setDeadline(seconds, tell) {
    deadline = Date.now() + seconds * 1000;
    closeDialog();
    if (tell && channel) {
      channel.postMessage({ type: "active", deadline: deadline });
    }
  }

  // Before warning or giving up, ask the server: another tab may have kept the session alive.
  function checkServer(then) {
    if (checking) {
      return;
    }
    checking = true;
    fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        checking = false;
        if (!status.signed_in) {
          // Ended by this very check (the server says why), or earlier, elsewhere.
          goToSignIn(status.signed_out || (secondsLeft() <= 0 ? "idle" : ""));
          return;
        }
        deadline = Date.now() + status.seconds_left * 1000;
        then();
      })
      .catch(function () { checking = false; then(); });
  }

  function tick() {
    var left = secondsLeft();
    if (left <= 0) {
      // The check ends the session if it is over; if the server has time left, wait for it.
      checkServer(function () {
        if (secondsLeft() <= 0) {
          goToSignIn("idle");
        }
      });
    } else if (left <= warningSeconds) {
      if (dialog.hidden) {
        checkServer(function () {
          if (secondsLeft() <= warningSeconds) {
            openDialog();
          }
        });
      }
      countdown.textContent = formatTime(left);
    } else {
      closeDialog();
    }
  }

  stayForm.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(stayForm.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new FormData(stayForm),
    })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (!status.signed_in) {
          goToSignIn(status.signed_out || "");
          return;
        }
        setDeadline(status.seconds_left, true);
      })
      .catch(function () { goToSignIn(""); });
  });

  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      stayForm.requestSubmit();
    }
  });

  signOutForms.forEach(function (form) {
    form.addEventListener("submit", function () {
      if (channel) {
        channel.postMessage({ type: "signed-out" });
      }
    });
  });

  if (channel) {
    channel.onmessage = function (event) {
      var message = event.data || {};
      if (message.type === "active" && message.deadline > deadline) {
        deadline = message.deadline;
        closeDialog();
      } else if (message.type === "signed-out") {
        window.location.assign(body.dataset.signedOutUrl);
      }
    };
    // Loading this page was activity: the other tabs' sessions were extended too.
    channel.postMessage({ type: "active", deadline: deadline });
  }

  window.setInterval(tick, 1000);
})();
