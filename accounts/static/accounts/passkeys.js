// Passkeys: asks the portal for a ceremony's options, hands them to the browser, posts its answer.
// Each block marked data-passkey is one ceremony: "sign-in" (no password), "second-factor" (after the
// password), "reset" (the reset tool's second factor), "verify" (a signed-in session) or "add".
// Without WebAuthn in the browser the blocks stay hidden and the page works as before.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function bytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      out[i] = binary.charCodeAt(i);
    }
    return out.buffer;
  }

  function text(buffer) {
    if (!buffer) {
      return null;
    }
    var view = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < view.length; i++) {
      binary += String.fromCharCode(view[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (descriptor) {
      return Object.assign({}, descriptor, { id: bytes(descriptor.id) });
    });
  }

  function creationOptions(options) {
    return Object.assign({}, options, {
      challenge: bytes(options.challenge),
      user: Object.assign({}, options.user, { id: bytes(options.user.id) }),
      excludeCredentials: withIds(options.excludeCredentials),
    });
  }

  function requestOptions(options) {
    return Object.assign({}, options, {
      challenge: bytes(options.challenge),
      allowCredentials: withIds(options.allowCredentials),
    });
  }

  // What the browser made, as the JSON the portal reads (the fields WebAuthn's toJSON() would give).
  function asJSON(credential, response) {
    return {
      id: credential.id,
      rawId: text(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || null,
    };
  }

  function created(credential) {
    var response = credential.response;
    return asJSON(credential, {
      clientDataJSON: text(response.clientDataJSON),
      attestationObject: text(response.attestationObject),
      transports: response.getTransports ? response.getTransports() : [],
    });
  }

  function asserted(credential) {
    var response = credential.response;
    return asJSON(credential, {
      clientDataJSON: text(response.clientDataJSON),
      authenticatorData: text(response.authenticatorData),
      signature: text(response.signature),
      userHandle: text(response.userHandle),
    });
  }

  // The portal answers JSON: {"options"}, {"redirect"} or {"error"} (its text is the member's to read).
  function post(block, url, payload) {
    var token = block.querySelector("[name=csrfmiddlewaretoken]");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": token ? token.value : "",
      },
      body: JSON.stringify(payload),
    }).then(function (response) {
      return response.json().catch(function () {
        return { error: gettext("The portal could not answer just now. Please try again.") };
      }).then(function (answer) {
        if (!response.ok && !answer.error) {
          answer.error = gettext("The portal could not answer just now. Please try again.");
        }
        return answer;
      });
    });
  }

  function browserProblem(error) {
    if (error && error.name === "NotAllowedError") {
      return gettext("The passkey request was cancelled or timed out. Try again, or use another way to sign in.");
    }
    if (error && error.name === "InvalidStateError") {
      return gettext("This device already has a passkey for your account.");
    }
    if (error && error.name === "AbortError") {
      return "";
    }
    return gettext("Your browser could not use a passkey just now. Try again, or use another way to sign in.");
  }

  function say(block, message) {
    var status = block.querySelector("[data-passkey-status]");
    if (status) {
      status.textContent = message;
      status.hidden = !message;
    }
  }

  // Extra fields each ceremony sends: the reset's progress token, the page to go on to, a name.
  function extra(block) {
    var payload = {};
    if (block.dataset.state) {
      payload.state = block.dataset.state;
    }
    if (block.dataset.next) {
      payload.next = block.dataset.next;
    }
    var name = block.querySelector("[data-passkey-name]");
    if (name) {
      payload.name = name.value;
    }
    return payload;
  }

  function run(block, ceremony, mediation, signal) {
    var adding = block.dataset.passkey === "add";
    return post(block, block.dataset.optionsUrl, extra(block))
      .then(function (answer) {
        if (answer.error) {
          throw { portal: answer.error };
        }
        var request = adding
          ? { publicKey: creationOptions(answer.options) }
          : { publicKey: requestOptions(answer.options) };
        if (mediation) {
          request.mediation = mediation;
          request.signal = signal;
        }
        return ceremony(request);
      })
      .then(function (credential) {
        var payload = extra(block);
        payload.credential = adding ? created(credential) : asserted(credential);
        say(block, gettext("Checking your passkey…"));
        return post(block, block.dataset.url, payload);
      })
      .then(function (answer) {
        if (answer.redirect) {
          window.location.assign(answer.redirect);
          return;
        }
        say(block, answer.error || "");
      })
      .catch(function (problem) {
        say(block, problem && problem.portal ? problem.portal : browserProblem(problem));
      });
  }

  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (note) {
    note.hidden = true;
  });

  var conditional = null;

  function start(block) {
    if (conditional) {
      conditional.abort();  // the autofill request gives way to the button
      conditional = null;
    }
    say(block, "");
    var ceremony = block.dataset.passkey === "add"
      ? function (request) { return navigator.credentials.create(request); }
      : function (request) { return navigator.credentials.get(request); };
    return run(block, ceremony);
  }

  // The browser's passkey autofill on the username field, where it is supported: asked once the
  // member reaches the field, so a page merely viewed asks the portal for nothing.
  function offerAutofill(block) {
    var field = document.getElementById(block.dataset.autofillField || "");
    if (!field || !PublicKeyCredential.isConditionalMediationAvailable) {
      return;
    }
    PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (!available) {
        return;
      }
      field.setAttribute("autocomplete", "username webauthn");
      field.addEventListener("focus", function () {
        if (conditional) {
          return;
        }
        conditional = new AbortController();
        run(block, function (request) { return navigator.credentials.get(request); }, "conditional", conditional.signal)
          .then(function () { conditional = null; });
      }, { once: true });
    });
  }

  document.querySelectorAll("[data-passkey]").forEach(function (block) {
    block.hidden = false;
    var button = block.querySelector("[data-passkey-start]");
    var form = block.querySelector("form");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        start(block);
      });
    } else if (button) {
      button.addEventListener("click", function () { start(block); });
    }
    if (block.dataset.passkey === "sign-in") {
      offerAutofill(block);
    }
  });
})();
