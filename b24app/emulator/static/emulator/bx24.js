/* A stand-in for BX24.js (the Bitrix24 frame library) for tests and the demo.
 *
 * It covers init, installFinish, fitWindow, resizeWindow, placement.info,
 * placement.call, getAuth, refreshAuth, openPath, isAdmin, getLang and
 * getDomain. The frame context comes from window.name (DOMAIN|PROTOCOL|APP_SID);
 * calls go to the parent page with postMessage as JSON objects. That message
 * format is this emulator's own, not the real library's.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var parentOrigin = new URL(script.src, window.location.href).origin;
  var sid = (window.name || "").split("|")[2] || "";
  var callbacks = {};
  var sequence = 0;
  var data = null;
  var waiting = [];
  var requested = false;

  function send(command, params, callback) {
    var id = null;
    if (typeof callback === "function") {
      sequence += 1;
      id = "cb" + sequence;
      callbacks[id] = callback;
    }
    window.parent.postMessage(
      { b24emu: true, sid: sid, command: command, params: params || {}, callback: id },
      parentOrigin
    );
  }

  window.addEventListener("message", function (event) {
    var message = event.data;
    if (event.origin !== parentOrigin || !message || message.b24emu !== true) {
      return;
    }
    if (message.sid !== sid || !callbacks[message.callback]) {
      return;
    }
    var callback = callbacks[message.callback];
    delete callbacks[message.callback];
    callback(message.result);
  });

  function expiresAt() {
    return Date.now() + Number(data.AUTH_EXPIRES || 0) * 1000;
  }

  var BX24 = {
    init: function (callback) {
      if (data) {
        callback();
        return;
      }
      waiting.push(callback);
      if (requested) {
        return;
      }
      requested = true;
      send("getInitData", {}, function (init) {
        data = init;
        data.expiresAt = expiresAt();
        waiting.splice(0).forEach(function (fn) { fn(); });
      });
    },
    installFinish: function () {
      send("installFinish", {});
    },
    fitWindow: function (callback) {
      var height = document.documentElement.scrollHeight;
      send("resizeWindow", { width: "100%", height: height, fit: true }, callback);
    },
    resizeWindow: function (width, height, callback) {
      var numeric = typeof width === "number" || width === "100%" ? width : 100;
      send("resizeWindow", { width: numeric, height: height > 0 ? height : 0 }, callback);
    },
    getAuth: function () {
      if (!data || !data.AUTH_ID || data.expiresAt < Date.now()) {
        return false;
      }
      return {
        access_token: data.AUTH_ID,
        refresh_token: data.REFRESH_ID,
        expires_in: data.expiresAt,
        domain: data.DOMAIN,
        member_id: data.MEMBER_ID,
      };
    },
    refreshAuth: function (callback) {
      send("refreshAuth", {}, function (auth) {
        data.AUTH_ID = auth.AUTH_ID;
        data.REFRESH_ID = auth.REFRESH_ID;
        data.AUTH_EXPIRES = auth.AUTH_EXPIRES;
        data.expiresAt = expiresAt();
        if (typeof callback === "function") {
          callback(BX24.getAuth());
        }
      });
    },
    openPath: function (path, callback) {
      send("openPath", { path: path }, callback);
    },
    isAdmin: function () {
      return !!(data && data.IS_ADMIN);
    },
    getLang: function () {
      return data ? data.LANG : "en";
    },
    getDomain: function () {
      return data ? data.DOMAIN : "";
    },
    placement: {
      info: function () {
        var options = {};
        try {
          options = JSON.parse((data && data.PLACEMENT_OPTIONS) || "{}");
        } catch (error) {
          options = {};
        }
        return { placement: data ? data.PLACEMENT : "", options: options };
      },
      call: function (command, params, callback) {
        send("placementCall", { command: command, params: params || {} }, callback);
      },
    },
  };

  window.BX24 = BX24;
})();
