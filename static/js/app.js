/* The page side of the frame session: BX24 wiring, token renewal, frame size.
 *
 * The session token lives in the `hx-headers` attribute of <body>, so htmx sends
 * it on every request. When the server returns 401 it also sends the
 * `b24app:reauth` event in HX-Trigger. The page then gets a fresh portal token
 * through BX24.refreshAuth, trades it for a new session token and repeats the
 * request once.
 */
(function () {
  "use strict";

  var body = document.body;
  var renewing = null;
  // Renew before a full-page POST once the token is this old: it lives 15 min.
  var RENEW_AFTER_MS = 10 * 60 * 1000;
  body.dataset.sessionIssuedAt = String(Date.now());

  function hasBX24() {
    return typeof window.BX24 === "object" && window.BX24 !== null;
  }

  function fitWindow() {
    if (hasBX24() && typeof BX24.fitWindow === "function") {
      BX24.fitWindow();
    }
  }

  function setSessionToken(token) {
    var name = body.dataset.sessionHeader;
    var headers = JSON.parse(body.getAttribute("hx-headers") || "{}");
    headers[name] = token;
    body.setAttribute("hx-headers", JSON.stringify(headers));
    document.querySelectorAll("input[name='_session']").forEach(function (input) {
      input.value = token;
    });
  }

  function refreshAuth() {
    return new Promise(function (resolve, reject) {
      if (!hasBX24()) {
        reject(new Error("BX24 is not loaded"));
        return;
      }
      BX24.refreshAuth(function (auth) {
        if (auth && auth.access_token) {
          resolve(auth);
        } else {
          reject(new Error("BX24.refreshAuth returned no token"));
        }
      });
    });
  }

  function renewSession() {
    if (renewing) {
      return renewing;
    }
    renewing = refreshAuth()
      .then(function (auth) {
        var form = new FormData();
        form.append("member_id", auth.member_id);
        form.append("AUTH_ID", auth.access_token);
        var url = body.dataset.sessionUrl + "?LANG=" + encodeURIComponent(body.dataset.lang);
        return fetch(url, { method: "POST", body: form, credentials: "omit" });
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("session renewal failed with HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        setSessionToken(data.token);
        body.dataset.sessionIssuedAt = String(Date.now());
        body.dataset.sessionRenewed = String(Number(body.dataset.sessionRenewed || 0) + 1);
      })
      .finally(function () {
        renewing = null;
      });
    return renewing;
  }

  // Remember each element's last request, so it can be repeated after renewal.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.elt.b24appLastRequest = { verb: event.detail.verb, path: event.detail.path };
  });

  document.addEventListener("b24app:reauth", function (event) {
    var elt = event.target;
    var last = elt.b24appLastRequest;
    if (elt.b24appRetried) {
      return;
    }
    elt.b24appRetried = true;
    renewSession()
      .then(function () {
        if (last) {
          return htmx.ajax(last.verb, last.path, { source: elt });
        }
        return null;
      })
      .catch(function (error) {
        console.warn("b24app:", error.message);
      })
      .finally(function () {
        elt.b24appRetried = false;
      });
  });

  // A form posted without htmx (a download) cannot repeat itself after a 401, so
  // an old token is renewed before it leaves. Without BX24 it is sent as it is.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var field = form.querySelector("input[name='_session']");
    if (event.defaultPrevented || !field || form.dataset.renewed === "1") {
      return;
    }
    if (!hasBX24() || Date.now() - Number(body.dataset.sessionIssuedAt) < RENEW_AFTER_MS) {
      return;
    }
    event.preventDefault();
    renewSession()
      .catch(function (error) {
        console.warn("b24app:", error.message);
      })
      .finally(function () {
        form.dataset.renewed = "1";
        form.requestSubmit(event.submitter || undefined);
        delete form.dataset.renewed;
      });
  });

  // A change went to the CRM: ask the card to reload its fields.
  document.addEventListener("b24app:crm-changed", function () {
    if (hasBX24() && BX24.placement && typeof BX24.placement.call === "function") {
      BX24.placement.call("reloadData", {}, function () {});
    }
  });

  // Links that open a CRM record in the portal's slider.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-open-path]");
    if (link && hasBX24()) {
      event.preventDefault();
      BX24.openPath(link.dataset.openPath, function () {});
    }
  });

  document.addEventListener("htmx:afterSettle", fitWindow);

  if (hasBX24()) {
    BX24.init(function () {
      body.dataset.bx24Ready = "1";
      fitWindow();
    });
  }
})();
