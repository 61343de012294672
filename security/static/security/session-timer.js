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
  var announcement = document.getElementById("session-timeout-announcement");
  var problem = document.getElementById("session-timeout-problem");
  var stayForm = document.getElementById("session-stay-form");
  var signOutForms = document.querySelectorAll("form.sign-out, #session-sign-out-form");
  var channel = "BroadcastChannel" in window ? new BroadcastChannel("portal-session") : null;
  var deadline = Date.now() + idleSeconds * 1000;
  var lastFocus = null;
  var checking = false;
  // The seconds left at which the polite region next speaks (each whole minute, then 10 s).
  var nextAnnouncement = -1;

  // Rounded up: it reaches 0 only once the deadline has passed.
  function secondsLeft() {
    return Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  }

  function formatTime(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  // gettext, ngettext and interpolate come from the JavaScript catalog (/jsi18n/), loaded first.
  function minutesText(count) {
    return interpolate(ngettext("%(count)s minute", "%(count)s minutes", count), { count: count }, true);
  }

  function secondsText(count) {
    return interpolate(ngettext("%(count)s second", "%(count)s seconds", count), { count: count }, true);
  }

  function spokenTime(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    if (!minutes) {
      return secondsText(rest);
    }
    if (!rest) {
      return minutesText(minutes);
    }
    // Translators: a time left, such as "1 minute 30 seconds".
    return interpolate(gettext("%(minutes)s %(seconds)s"), { minutes: minutesText(minutes), seconds: secondsText(rest) }, true);
  }

  // Spoken politely, about once a minute: a screen reader is not interrupted every second.
  function announce(seconds) {
    announcement.textContent = interpolate(
      gettext("You will be signed out in %(time)s unless you stay signed in."),
      { time: spokenTime(seconds) },
      true
    );
    if (seconds > 60) {
      nextAnnouncement = Math.floor((seconds - 1) / 60) * 60;
    } else {
      nextAnnouncement = seconds > 10 ? 10 : -1;
    }
  }

  function showProblem(text) {
    problem.textContent = text;
  }

  function openDialog() {
    if (dialog.open) {
      return;
    }
    lastFocus = document.activeElement;
    showProblem("");
    countdown.textContent = formatTime(secondsLeft());
    dialog.showModal();
    document.getElementById("session-stay-button").focus();
    announce(secondsLeft());
  }

  function closeDialog() {
    if (!dialog.open) {
      return;
    }
    dialog.close();
    announcement.textContent = "";
    nextAnnouncement = -1;
    if (lastFocus && lastFocus.focus) {
      lastFocus.focus();
    }
  }

  // An error page is no answer: it must not be read as JSON (and break the timer).
  function statusOf(response) {
    if (!response.ok) {
      throw new Error("the portal answered " + response.status);
    }
    return response.json();
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
      .then(statusOf)
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
      if (!dialog.open) {
        checkServer(function () {
          if (secondsLeft() <= warningSeconds) {
            openDialog();
          }
        });
        return;
      }
      countdown.textContent = formatTime(left);
      if (left <= nextAnnouncement) {
        announce(left);
      }
    } else {
      closeDialog();
    }
  }

  function staySignedIn() {
    fetch(stayForm.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new FormData(stayForm),
    })
      .then(function (response) {
        // Sent on to sign-in: the session had already ended.
        if (response.redirected) {
          return { signed_in: false };
        }
        return statusOf(response);
      })
      .then(function (status) {
        if (!status.signed_in) {
          goToSignIn(status.signed_out || "");
          return;
        }
        setDeadline(status.seconds_left, true);
      })
      .catch(function () {
        // The session is as it was: the member can try again, and the countdown goes on.
        if (!dialog.open) {
          dialog.showModal();
        }
        showProblem(gettext("We could not keep you signed in just now. Please try again."));
        document.getElementById("session-stay-button").focus();
      });
  }

  stayForm.addEventListener("submit", function (event) {
    event.preventDefault();
    staySignedIn();
  });

  // Tab goes round the dialog's buttons: past the last one the browser would leave the page.
  dialog.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") {
      return;
    }
    var buttons = dialog.querySelectorAll("button");
    var first = buttons[0];
    var last = buttons[buttons.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  // Escape is "Stay signed in": pressing a key is the member being there.
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    staySignedIn();
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
