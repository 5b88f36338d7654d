// Turn Web Push notifications on or off for this device, from the profile page. The browser
// subscribes at its push service with the server's VAPID public key; the subscription is posted
// to Liaison (JSON with the CSRF token). The service worker shows what arrives (entry-sw.js).
(function () {
  "use strict";
  const box = document.getElementById("push-device");
  if (!box) return;
  const enable = document.getElementById("push-enable");
  const disable = document.getElementById("push-disable");
  const status = document.getElementById("push-status");
  const csrf = document.querySelector("#notifications input[name=csrfmiddlewaretoken]");

  function say(state) {
    status.textContent = status.dataset[state] || "";
  }

  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
      body: JSON.stringify(body),
    }).then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response;
    });
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
    return;
  }

  async function registration() {
    return (await navigator.serviceWorker.getRegistration()) ||
      navigator.serviceWorker.register(box.dataset.serviceWorker);
  }

  async function show() {
    const current = await (await registration()).pushManager.getSubscription();
    enable.hidden = Boolean(current);
    disable.hidden = !current;
    say(Notification.permission === "denied" ? "denied" : current ? "on" : "off");
  }

  enable.addEventListener("click", async () => {
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        say("denied");
        return;
      }
      const reg = await registration();
      const subscription = await reg.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(box.dataset.vapidKey),
      });
      await post(box.dataset.subscribe, subscription.toJSON());
      await show();
    } catch (error) {
      say("failed");
    }
  });

  disable.addEventListener("click", async () => {
    try {
      const subscription = await (await registration()).pushManager.getSubscription();
      if (subscription) {
        await post(box.dataset.unsubscribe, { endpoint: subscription.endpoint });
        await subscription.unsubscribe();
      }
      await show();
    } catch (error) {
      say("failed");
    }
  });

  show().catch(() => say("unsupported"));
})();
