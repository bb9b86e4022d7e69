/*
 * Rounds live room: the People panel, and for hosts the lobby, host controls and the
 * room's settings. A room.js plugin (see room.js, "Plugins"): it reads what room.js knows
 * through the plugin api and speaks signaling protocol v1's host commands:
 *   admit / deny {participant_id | all}, lock {locked}, guest_policy {policy},
 *   mute_participant {participant_id, kind}, mute_all {}, stop_screen {participant_id},
 *   remove {participant_id, allow_rejoin}, set_role {participant_id, role}.
 * Names are always put on the page with textContent.
 *
 * Test hooks (read-only): window.roundsControls.lobby()  [{participant_id, name, guest}]
 *                         window.roundsControls.roomState()  {locked, guest_policy}
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const el = {
    panel: $("people-panel"), list: $("people-list"), lobbyPanel: $("lobby-panel"),
    lobbyList: $("lobby-list"), lobbyCount: $("lobby-count"), admitAll: $("admit-all"),
    denyAll: $("deny-all"), tools: $("host-tools"), muteAll: $("mute-all"),
    lock: $("room-lock"), policy: $("guest-policy"), status: $("controls-status"),
  };
  if (!el.panel) return;

  const S = { lobby: [], roomState: { locked: false, guest_policy: "signed_in" }, api: null };

  function button(label, onClick, className) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (className) b.className = className;
    b.addEventListener("click", onClick);
    return b;
  }

  function send(message) {
    if (S.api && !S.api.send(message)) {
      el.status.textContent = "Not connected; try again in a moment.";
    }
  }

  function badge(text) {
    const span = document.createElement("span");
    span.className = "badge";
    span.textContent = text;
    return span;
  }

  function renderPeople() {
    const api = S.api;
    el.list.replaceChildren();
    if (!api) return;
    const me = api.me();
    const host = api.isHost();
    el.tools.hidden = !host;
    for (const p of api.participants()) {
      const item = document.createElement("li");
      item.dataset.participantId = p.participant_id;
      const name = document.createElement("span");
      name.className = "person-name";
      name.textContent = p.participant_id === me ? (p.display_name + " (you)") : p.display_name;
      item.append(name);
      if (p.is_host) item.append(badge(p.role === "host" ? "Host" : "Co-host"));
      else if (p.can_share_screen) item.append(badge("Presenter"));
      if (p.guest) item.append(badge("Guest"));
      if (p.muted && p.muted.audio) item.append(badge("Muted"));
      if (host && p.participant_id !== me) item.append(actions(p));
      el.list.append(item);
    }
  }

  function actions(p) {
    const details = document.createElement("details");
    details.className = "person-actions";
    const summary = document.createElement("summary");
    summary.textContent = "Actions";
    summary.setAttribute("aria-label", "Actions for " + p.display_name);
    details.append(summary);
    const pid = p.participant_id;
    const items = [
      button("Mute", () => send({ type: "mute_participant", participant_id: pid, kind: "audio" })),
      button("Stop camera", () => send({ type: "mute_participant", participant_id: pid, kind: "video" })),
      button("Stop screen share", () => send({ type: "stop_screen", participant_id: pid })),
    ];
    if (!(p.is_host && p.role === "host")) {
      if (!p.is_host) items.push(button("Make co-host", () => send({ type: "set_role", participant_id: pid, role: "cohost" })));
      if (!p.can_share_screen) items.push(button("Make presenter", () => send({ type: "set_role", participant_id: pid, role: "presenter" })));
      if (p.is_host || p.can_share_screen) items.push(button("Make participant", () => send({ type: "set_role", participant_id: pid, role: "participant" })));
      items.push(button("Remove", () => send({ type: "remove", participant_id: pid, allow_rejoin: true }), "danger"));
      items.push(button("Remove and keep out", () => send({ type: "remove", participant_id: pid, allow_rejoin: false }), "danger"));
    }
    for (const item of items) details.append(item);
    return details;
  }

  function renderLobby() {
    const host = S.api && S.api.isHost();
    el.lobbyPanel.hidden = !host || S.lobby.length === 0;
    el.lobbyCount.textContent = S.lobby.length ? "(" + S.lobby.length + ")" : "";
    el.lobbyList.replaceChildren();
    for (const w of S.lobby) {
      const item = document.createElement("li");
      item.dataset.participantId = w.participant_id;
      const name = document.createElement("span");
      name.className = "person-name";
      name.textContent = w.name;
      item.append(name);
      if (w.guest) item.append(badge("Guest"));
      item.append(
        button("Let in", () => send({ type: "admit", participant_id: w.participant_id })),
        button("Turn away", () => send({ type: "deny", participant_id: w.participant_id }), "danger"));
      el.lobbyList.append(item);
    }
  }

  function renderState() {
    el.lock.checked = !!S.roomState.locked;
    el.policy.value = S.roomState.guest_policy;
  }

  const ERRORS = new Set(["forbidden", "not_found", "invalid", "failed"]);

  window.roundsRoomPlugins = window.roundsRoomPlugins || [];
  window.roundsRoomPlugins.push({
    onMessage(m, api) {
      S.api = api;
      switch (m.type) {
        case "welcome":
          S.lobby = Array.isArray(m.lobby) ? m.lobby : [];
          if (m.room_state) S.roomState = m.room_state;
          renderState();
          break;
        case "lobby_queue":
          S.lobby = Array.isArray(m.waiting) ? m.waiting : [];
          if (S.lobby.length && api.isHost()) {
            const said = S.lobby.length === 1
              ? S.lobby[0].name + " is waiting to come in."
              : S.lobby.length + " people are waiting to come in.";
            el.status.textContent = said;
            api.setStatus(said);
          } else if (!S.lobby.length) {
            el.status.textContent = "";
          }
          break;
        case "room_state":
          S.roomState = { locked: !!m.locked, guest_policy: m.guest_policy };
          renderState();
          break;
        case "error":
          if (ERRORS.has(m.code)) el.status.textContent = m.message || m.code;
          break;
        default:
          break;
      }
      if (["welcome", "participant_joined", "participant_left", "participant_updated", "mute",
           "you", "lobby_queue", "room_state"].includes(m.type)) {
        renderPeople();
        renderLobby();
      }
    },
    onTeardown() {
      S.lobby = [];
      el.list.replaceChildren();
      renderLobby();
    },
  });

  el.admitAll.addEventListener("click", () => send({ type: "admit", all: true }));
  el.denyAll.addEventListener("click", () => send({ type: "deny", all: true }));
  el.muteAll.addEventListener("click", () => send({ type: "mute_all" }));
  el.lock.addEventListener("change", () => send({ type: "lock", locked: el.lock.checked }));
  el.policy.addEventListener("change", () => send({ type: "guest_policy", policy: el.policy.value }));

  window.roundsControls = Object.freeze({
    lobby: () => S.lobby.map((w) => Object.assign({}, w)),
    roomState: () => Object.assign({}, S.roomState),
  });
})();
