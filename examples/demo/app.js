// The demo chat's page: plain JavaScript, no build step. Every string from the network or
// from a user goes into the page as text (textContent), never as HTML.
"use strict";

const params = new URLSearchParams(location.search);
const transports = params.get("transport") ? [params.get("transport")] : ["polling", "websocket"];
const $ = (id) => document.getElementById(id);
let socket = null;
let room = "general";
const rooms = new Set(["general", "random"]);
let typingTimer = null;
const typers = new Map();

function line(cls) {
  const div = document.createElement("div");
  if (cls) div.className = cls;
  $("log").appendChild(div);
  $("log").scrollTop = $("log").scrollHeight;
  return div;
}

function text(parent, cls, value) {
  const span = document.createElement("span");
  if (cls) span.className = cls;
  span.textContent = String(value);
  parent.appendChild(span);
  return span;
}

function showMessage(m, mine) {
  const div = line(mine ? "message mine" : "message");
  div.dataset.id = m.id ?? "";
  text(div, "nick", m.nick);
  text(div, "text", m.text);
  return div;
}

function showImage(m, mine) {
  const div = line(mine ? "image mine" : "image");
  text(div, "nick", m.nick);
  const img = document.createElement("img");
  img.alt = "image from " + m.nick;
  img.src = URL.createObjectURL(new Blob([m.data], { type: "image/*" }));
  div.appendChild(img);
  return div;
}

function notice(value, cls = "notice") {
  text(line(cls), null, value);
}

function renderRooms() {
  const ul = $("rooms");
  ul.replaceChildren();
  for (const r of rooms) {
    const li = document.createElement("li");
    li.textContent = r;
    li.dataset.room = r;
    if (r === room) li.className = "current";
    li.onclick = () => switchTo(r);
    ul.appendChild(li);
  }
}

function renderTyping() {
  const names = [...typers.keys()];
  $("typing").textContent = names.length ? names.join(", ") + (names.length > 1 ? " are typing…" : " is typing…") : "";
}

async function switchTo(next) {
  if (next === room && $("log").childElementCount) return;
  if (socket && room !== next) socket.emit("leave", room);
  room = next;
  rooms.add(next);
  renderRooms();
  $("log").replaceChildren();
  typers.clear();
  renderTyping();
  const answer = await socket.emitWithAck("join", next);
  if (answer.error) return notice(answer.error, "error");
  for (const m of answer.history) showMessage(m, false);
  notice("you joined " + next);
}

function start(nick) {
  socket = io({ transports });
  socket.on("connect", async () => {
    $("status").textContent = "connected over " + socket.io.engine.transport.name;
    socket.io.engine.on("upgrade", (t) => ($("status").textContent = "connected over " + t.name));
    const answer = await socket.emitWithAck("hello", nick);
    if (answer.error) {
      $("login-error").textContent = answer.error;
      $("login").hidden = false;
      $("side").hidden = $("chat").hidden = true;
      socket.disconnect();
      return;
    }
    $("me").textContent = answer.nick;
    $("log").replaceChildren();
    await switchTo(room);
  });
  socket.on("disconnect", (reason) => ($("status").textContent = "disconnected: " + reason));
  socket.on("message", (m) => m.room === room && showMessage(m, false));
  socket.on("image", (m) => m.room === room && showImage(m, false));
  socket.on("notice", (n) => n.room === room && notice(n.text));
  socket.on("typing", (t) => {
    if (t.room !== room) return;
    if (t.typing) typers.set(t.nick, true);
    else typers.delete(t.nick);
    renderTyping();
  });
  socket.on("users", (u) => {
    if (u.room !== room) return;
    const ul = $("users");
    ul.replaceChildren();
    for (const name of u.users) {
      const li = document.createElement("li");
      li.textContent = name;
      ul.appendChild(li);
    }
  });
}

$("login").onsubmit = (e) => {
  e.preventDefault();
  const nick = $("nick").value.trim();
  if (!nick) return;
  $("login").hidden = true;
  $("side").hidden = $("chat").hidden = false;
  renderRooms();
  start(nick);
};

$("new-room").onsubmit = (e) => {
  e.preventDefault();
  const name = $("room-name").value.trim();
  $("room-name").value = "";
  if (name) switchTo(name);
};

$("text").oninput = () => {
  if (!typingTimer) socket.emit("typing", room, true);
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    typingTimer = null;
    socket.emit("typing", room, false);
  }, 1000);
};

$("send").onsubmit = async (e) => {
  e.preventDefault();
  const file = $("image").files[0];
  if (file) {
    $("image").value = "";
    const data = await file.arrayBuffer();
    const div = showImage({ nick: $("me").textContent, data }, true);
    const answer = await socket.emitWithAck("image", room, data);
    if (answer.error) notice(answer.error, "error");
    else text(div, "tick", "✓");
  }
  const value = $("text").value;
  if (!value) return;
  $("text").value = "";
  clearTimeout(typingTimer);
  typingTimer = null;
  socket.emit("typing", room, false);
  const div = showMessage({ nick: $("me").textContent, text: value }, true);
  const answer = await socket.emitWithAck("message", room, value);
  if (answer.error) notice(answer.error, "error");
  else text(div, "tick", "✓");
};
