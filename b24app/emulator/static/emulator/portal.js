/* Parent-page side of the emulated frame protocol.
 *
 * Each app frame is an iframe named DOMAIN|PROTOCOL|APP_SID with a form that
 * posts the frame fields into it. The BX24 stand-in inside the frame sends
 * {b24emu: true, sid, command, params, callback} messages. This page replies
 * only to messages from the frame's own window and origin whose sid matches, and
 * records installFinish, resizeWindow, reloadData and openPath at /ui/calls.
 */
(function () {
  "use strict";

  var userId = Number(document.body.dataset.userId);
  var frames = {};
  var submitted = {};

  document.querySelectorAll("form.frame-form").forEach(function (form) {
    var sid = form.dataset.appSid;
    frames[sid] = {
      form: form,
      iframe: document.getElementById("frame-" + sid),
      init: JSON.parse(form.dataset.init),
      origin: new URL(form.action).origin,
    };
  });

  function record(frame, command, params) {
    return fetch("/ui/calls", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        command: command,
        placement: frame.init.PLACEMENT,
        user_id: userId,
        params: params || {},
      }),
    });
  }

  function reply(frame, callback, result) {
    if (!callback) {
      return;
    }
    frame.iframe.contentWindow.postMessage(
      { b24emu: true, sid: frame.form.dataset.appSid, callback: callback, result: result },
      frame.origin
    );
  }

  function resize(frame, params) {
    var height = Number(params.height);
    if (height > 0) {
      frame.iframe.style.height = height + "px";
    }
  }

  var handlers = {
    getInitData: function (frame) {
      return Promise.resolve(frame.init);
    },
    installFinish: function (frame) {
      return record(frame, "installFinish").then(function () { return true; });
    },
    resizeWindow: function (frame, params) {
      resize(frame, params);
      return record(frame, params.fit ? "fitWindow" : "resizeWindow", params)
        .then(function () { return { width: params.width, height: params.height }; });
    },
    placementCall: function (frame, params) {
      return record(frame, params.command, params.params).then(function () { return true; });
    },
    openPath: function (frame, params) {
      return record(frame, "openPath", params).then(function () { return { result: "close" }; });
    },
    refreshAuth: function (frame) {
      return fetch("/ui/refresh-auth", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user_id: userId }),
      })
        .then(function (response) { return response.json(); })
        .then(function (auth) {
          frame.init.AUTH_ID = auth.AUTH_ID;
          frame.init.REFRESH_ID = auth.REFRESH_ID;
          frame.init.AUTH_EXPIRES = auth.AUTH_EXPIRES;
          return record(frame, "refreshAuth").then(function () { return auth; });
        });
    },
  };

  window.addEventListener("message", function (event) {
    var message = event.data;
    if (!message || message.b24emu !== true) {
      return;
    }
    var frame = frames[message.sid];
    if (!frame || event.origin !== frame.origin || event.source !== frame.iframe.contentWindow) {
      return;
    }
    var handler = handlers[message.command];
    if (!handler) {
      reply(frame, message.callback, { error: "unknown command " + message.command });
      return;
    }
    handler(frame, message.params || {}).then(function (result) {
      reply(frame, message.callback, result);
    });
  });

  function openTab(name) {
    document.querySelectorAll(".card-tab").forEach(function (tab) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    });
    document.querySelectorAll("[data-panel]").forEach(function (panel) {
      var visible = panel.dataset.panel === name;
      panel.hidden = !visible;
      var form = visible && panel.querySelector("form.frame-form");
      if (form && !submitted[form.dataset.appSid]) {
        submitted[form.dataset.appSid] = true;
        form.submit();
      }
    });
  }

  document.querySelectorAll(".card-tab").forEach(function (tab) {
    tab.addEventListener("click", function () { openTab(tab.dataset.tab); });
  });

  var active = document.getElementById("active-tab");
  var requested = active ? active.dataset.active : "";
  var match = requested && document.querySelector("[data-panel^='" + CSS.escape(requested) + "']");
  openTab(match ? match.dataset.panel : "main");
})();
