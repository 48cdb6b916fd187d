// Passkeys: sign in (#passkey-login, with the browser's passkey autofill where it offers it)
// and register (#passkey-register). Endpoints and the CSRF token come from data- attributes;
// the server does every check. Password sign-in works without this script.
(function () {
  "use strict";
  var PKC = window.PublicKeyCredential;
  if (!PKC || !navigator.credentials || !window.fetch) return;

  function fromB64(text) {
    var s = text.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var raw = atob(s), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }
  function toB64(buffer) {
    var bytes = new Uint8Array(buffer), s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function creationOptions(json) {
    if (PKC.parseCreationOptionsFromJSON) return PKC.parseCreationOptionsFromJSON(json);
    var o = Object.assign({}, json);
    o.challenge = fromB64(json.challenge);
    o.user = Object.assign({}, json.user, { id: fromB64(json.user.id) });
    o.excludeCredentials = (json.excludeCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: fromB64(c.id) });
    });
    return o;
  }
  function requestOptions(json) {
    if (PKC.parseRequestOptionsFromJSON) return PKC.parseRequestOptionsFromJSON(json);
    var o = Object.assign({}, json);
    o.challenge = fromB64(json.challenge);
    o.allowCredentials = (json.allowCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: fromB64(c.id) });
    });
    return o;
  }
  function credentialJSON(cred) {
    if (cred.toJSON) return cred.toJSON();
    var r = cred.response, out = {
      id: cred.id, rawId: toB64(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || null,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
      if (r.getAuthenticatorData) out.response.authenticatorData = toB64(r.getAuthenticatorData());
      if (r.getPublicKey && r.getPublicKey()) out.response.publicKey = toB64(r.getPublicKey());
      if (r.getPublicKeyAlgorithm) out.response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
    } else {
      out.response.authenticatorData = toB64(r.authenticatorData);
      out.response.signature = toB64(r.signature);
      out.response.userHandle = r.userHandle ? toB64(r.userHandle) : null;
    }
    return out;
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.error_description || ("The server answered " + res.status + "."));
        return data;
      });
    });
  }
  // The browser's own wording for a cancelled or refused ceremony helps nobody.
  function explain(e) {
    if (e && e.name === "NotAllowedError") return "The passkey request was cancelled or timed out. Try again.";
    if (e && e.name === "InvalidStateError") return "This authenticator already holds a passkey for this site.";
    if (e && e.name === "SecurityError") return "Passkeys need this site's own address (https, or http://localhost).";
    return (e && e.message) || "The passkey did not work.";
  }
  function say(box, text) {
    var status = box.querySelector(".passkey-status");
    if (status) status.textContent = text;
  }
  function base(box) {
    var body = { csrf_token: box.dataset.csrf };
    if (box.dataset.token) body.token = box.dataset.token;
    return body;
  }

  var login = document.getElementById("passkey-login");
  if (login) {
    var pending = null;
    var signIn = function (mediation) {
      if (pending) pending.abort();
      var controller = window.AbortController ? new AbortController() : null;
      pending = controller;
      return post(login.dataset.options, base(login)).then(function (json) {
        var options = { publicKey: requestOptions(json) };
        if (mediation) options.mediation = mediation;
        if (controller) options.signal = controller.signal;
        return navigator.credentials.get(options);
      }).then(function (cred) {
        if (!cred) throw new Error("No passkey was chosen.");
        say(login, "Checking…");
        var body = base(login);
        body.credential = credentialJSON(cred);
        return post(login.dataset.finish, body);
      }).then(function (data) {
        window.location.assign(data.location || "/admin/");
      });
    };
    document.getElementById("passkey-button").addEventListener("click", function () {
      say(login, "Waiting for your passkey…");
      signIn(null).catch(function (e) {
        if (e.name !== "AbortError") say(login, explain(e));
      });
    });
    // Conditional mediation: the browser offers passkeys in the username field's autofill.
    if (PKC.isConditionalMediationAvailable) {
      PKC.isConditionalMediationAvailable().then(function (available) {
        if (available) signIn("conditional").catch(function () { /* the button remains */ });
      });
    }
  }

  var register = document.getElementById("passkey-register");
  if (register) {
    var button = document.getElementById("passkey-register-button");
    button.addEventListener("click", function () {
      var name = document.getElementById("passkey-name");
      button.disabled = true;
      say(register, "Waiting for your authenticator…");
      post(register.dataset.options, base(register)).then(function (json) {
        return navigator.credentials.create({ publicKey: creationOptions(json) });
      }).then(function (cred) {
        say(register, "Saving…");
        var body = base(register);
        body.name = name ? name.value : "Passkey";
        body.credential = credentialJSON(cred);
        return post(register.dataset.finish, body);
      }).then(function (data) {
        window.location.assign(data.location || "/admin/sign-in");
      }).catch(function (e) {
        button.disabled = false;
        say(register, explain(e));
      });
    });
  }
})();
