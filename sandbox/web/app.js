/* Chỉ tiêu sandbox web chat.
 *
 * A small messenger over the emulator's JSON control API (/emulator/...): choose or create a
 * user, see that user's chats, read and send messages, press inline buttons, upload files.
 * Plain JavaScript, no build step, no external resources. Nothing from the server is ever
 * assigned to innerHTML: every node is built with createElement and text nodes.
 */
"use strict";

(() => {
  // ------------------------------------------------------------------ strings
  const STRINGS = {
    vi: {
      pickerTitle: "Chọn người dùng",
      pickerHint: "Đăng nhập bằng một người dùng thử để trò chuyện với bot.",
      noUsers: "Chưa có người dùng nào. Hãy tạo một người dùng mới.",
      newUser: "+ Tạo người dùng mới",
      firstName: "Tên",
      lastName: "Họ",
      username: "Tên người dùng",
      label: "Vai trò",
      userId: "Mã người dùng (tuỳ chọn)",
      language: "Ngôn ngữ",
      createAndEnter: "Tạo và vào trò chuyện",
      switchUser: "Đổi người dùng",
      newGroup: "+ Nhóm mới",
      back: "Quay lại",
      noMessages: "Chưa có tin nhắn. Gửi /start để bắt đầu.",
      attach: "Gửi tệp hoặc ảnh",
      typeMessage: "Nhập tin nhắn…",
      send: "Gửi",
      newGroupTitle: "Tạo nhóm mới",
      groupTitle: "Tên nhóm",
      groupType: "Loại",
      members: "Thành viên",
      cancel: "Huỷ",
      create: "Tạo nhóm",
      botChat: "Bot Chỉ tiêu",
      botSub: "bot",
      bot: "Bot",
      groupSub: (n) => `nhóm · ${n} thành viên`,
      groupSubNoCount: "nhóm",
      edited: "đã sửa",
      deleted: "đã xoá",
      today: "Hôm nay",
      yesterday: "Hôm qua",
      you: "Bạn",
      userN: (id) => `Người dùng ${id}`,
      photo: "Ảnh",
      document: "Tệp",
      error: "Lỗi",
      noLabel: "Người dùng thử",
      uploading: "Đang tải tệp lên…",
      me: "(bạn)",
    },
    en: {
      pickerTitle: "Choose a user",
      pickerHint: "Sign in as a demo user to talk to the bot.",
      noUsers: "No users yet. Create a new one.",
      newUser: "+ Create a new user",
      firstName: "First name",
      lastName: "Last name",
      username: "Username",
      label: "Role",
      userId: "User id (optional)",
      language: "Language",
      createAndEnter: "Create and start chatting",
      switchUser: "Switch user",
      newGroup: "+ New group",
      back: "Back",
      noMessages: "No messages yet. Send /start to begin.",
      attach: "Send a file or a photo",
      typeMessage: "Write a message…",
      send: "Send",
      newGroupTitle: "New group",
      groupTitle: "Group name",
      groupType: "Type",
      members: "Members",
      cancel: "Cancel",
      create: "Create group",
      botChat: "Chỉ tiêu bot",
      botSub: "bot",
      bot: "Bot",
      groupSub: (n) => `group · ${n} members`,
      groupSubNoCount: "group",
      edited: "edited",
      deleted: "deleted",
      today: "Today",
      yesterday: "Yesterday",
      you: "You",
      userN: (id) => `User ${id}`,
      photo: "Photo",
      document: "File",
      error: "Error",
      noLabel: "Demo user",
      uploading: "Uploading…",
      me: "(you)",
    },
  };

  // ------------------------------------------------------------------ state
  const state = {
    lang: localStorage.getItem("chitieu.lang") === "en" ? "en" : "vi",
    users: new Map(), // user_id -> user
    me: null, // the chosen user
    bot: null, // {bot_id, username, first_name} from GET /emulator/bots, when offered
    chats: [], // as shown in the list
    localChats: new Map(), // chats created here that the server may not list yet
    current: null, // chat object being shown
    store: new Map(), // chat_id -> Map(message_id -> message)
    cursor: new Map(), // chat_id -> seq cursor
    seen: new Map(), // chat_id -> last_seq seen
    nodes: new Map(), // "chat:message" -> {seq, el}
    gen: 0, // bumps on every chat switch; stale loops stop
    abort: null,
    chatTimer: null,
  };

  const $ = (sel) => document.querySelector(sel);
  const app = $("#app");
  const t = (key, ...args) => {
    const v = STRINGS[state.lang][key] ?? STRINGS.vi[key] ?? key;
    return typeof v === "function" ? v(...args) : v;
  };

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k === "style") node.setAttribute("style", v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function api(path, { method = "GET", json, form, signal } = {}) {
    const init = { method, signal, headers: {} };
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    } else if (form) {
      init.body = form;
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (!res.ok) {
      const msg = (data && (data.error || data.description || data.message)) || text || res.status;
      throw new Error(`${res.status}: ${typeof msg === "string" ? msg : JSON.stringify(msg)}`);
    }
    return data;
  }

  const qs = (params) =>
    Object.entries(params)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join("&");

  const PALETTE = ["#e17076", "#faa774", "#a695e7", "#7bc862", "#6ec9cb", "#65aadd", "#ee7aae"];
  function colorFor(id) {
    const n = Math.abs(Number(id) || 0);
    return PALETTE[n % PALETTE.length];
  }

  function initials(name) {
    const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
    if (!parts.length) return "?";
    const first = Array.from(parts[0])[0] || "";
    const last = parts.length > 1 ? Array.from(parts[parts.length - 1])[0] || "" : "";
    return (first + last).toUpperCase();
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  const ICONS = {
    // a friendly robot head, for the bot's private chat
    bot: "M12 2a1.5 1.5 0 0 1 .75 2.8V6H17a3 3 0 0 1 3 3v7a3 3 0 0 1-3 3H7a3 3 0 0 1-3-3V9a3 3 0 0 1 3-3h4.25V4.8A1.5 1.5 0 0 1 12 2zM9 10.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm6 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zM9 15.5a.75.75 0 0 0 0 1.5h6a.75.75 0 0 0 0-1.5H9zM2 10h1v5H2a1 1 0 0 1-1-1v-3a1 1 0 0 1 1-1zm19 0h1a1 1 0 0 1 1 1v3a1 1 0 0 1-1 1h-1v-5z",
    file: "M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5L13 3.5zM12 11a.9.9 0 0 0-.9.9v4.4l-1.5-1.5a.9.9 0 1 0-1.3 1.3l3 3a.9.9 0 0 0 1.3 0l3-3a.9.9 0 1 0-1.3-1.3l-1.5 1.5v-4.4A.9.9 0 0 0 12 11z",
  };
  function icon(name, size = 24) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size));
    svg.setAttribute("height", String(size));
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  function setAvatar(node, name, id, text) {
    node.replaceChildren();
    if (text === "bot") {
      node.append(icon("bot", 26));
      node.style.setProperty("--avatar", "linear-gradient(135deg, #5caffa, #2a7fd4)");
      node.classList.add("bot-avatar");
      return;
    }
    node.classList.remove("bot-avatar");
    node.textContent = text ?? initials(name);
    node.style.setProperty("--avatar", colorFor(id));
  }

  const fullName = (u) => [u.first_name, u.last_name].filter(Boolean).join(" ") || t("userN", u.user_id);

  function userName(id) {
    const u = state.users.get(Number(id));
    return u ? fullName(u) : t("userN", id);
  }

  const pad = (n) => String(n).padStart(2, "0");
  function hhmm(unix) {
    const d = new Date((unix || 0) * 1000);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  function dayLabel(unix) {
    const d = new Date((unix || 0) * 1000);
    const today = new Date();
    const key = (x) => `${x.getFullYear()}-${x.getMonth()}-${x.getDate()}`;
    if (key(d) === key(today)) return t("today");
    const y = new Date(today);
    y.setDate(today.getDate() - 1);
    if (key(d) === key(y)) return t("yesterday");
    return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()}`;
  }
  const dayKey = (unix) => {
    const d = new Date((unix || 0) * 1000);
    return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
  };

  let toastTimer = null;
  function toast(text, alert = false) {
    const box = $("#toast");
    box.textContent = text;
    box.classList.toggle("alert", Boolean(alert));
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (box.hidden = true), alert ? 6000 : 3000);
  }
  $("#toast").addEventListener("click", () => ($("#toast").hidden = true));

  function showError(err) {
    console.error(err);
    toast(`${t("error")}: ${err && err.message ? err.message : err}`);
  }

  // ------------------------------------------------------------------ safe formatting
  const SAFE_SCHEMES = /^(https?:|tg:|mailto:)/i;

  function safeHref(href) {
    const h = String(href || "").trim();
    return SAFE_SCHEMES.test(h) ? h : null;
  }

  // A deep link to a bot (https://t.me/<bot>?start=CODE) opens the chat with /start CODE, as
  // Telegram does; here it is sent to the bot of this page.
  const DEEP_LINK = /^https?:\/\/t\.me\/[A-Za-z0-9_]+\?start=([A-Za-z0-9_-]{1,64})$/;

  function link(href, children) {
    const deep = DEEP_LINK.exec(String(href || "").trim());
    if (deep) {
      const a = el("a", { href: "#", class: "cmd", "data-command": `/start ${deep[1]}` });
      a.append(...children);
      return a;
    }
    const safe = safeHref(href);
    const a = el("a", safe ? { href: safe, target: "_blank", rel: "noopener noreferrer" } : {});
    a.append(...children);
    return a;
  }

  /** The element for one Telegram message entity, or null to keep its text plain. */
  function entityElement(e, slice) {
    switch (e.type) {
      case "bold":
        return el("b");
      case "italic":
        return el("i");
      case "underline":
        return el("u");
      case "strikethrough":
        return el("s");
      case "code":
        return el("code");
      case "pre":
        return el("pre");
      case "text_link":
        return link(e.url, []);
      case "url":
        return link(/^[a-z][a-z0-9+.-]*:/i.test(slice) ? slice : `https://${slice}`, []);
      case "email":
        return link(`mailto:${slice}`, []);
      case "spoiler":
        return el("span", { class: "spoiler", onclick: (ev) => ev.currentTarget.classList.add("shown") });
      case "blockquote":
      case "expandable_blockquote":
        return el("blockquote");
      case "bot_command":
        return el("a", { href: "#", class: "cmd", "data-command": slice });
      default:
        return null;
    }
  }

  /** Text with Telegram entities (UTF-16 offsets, as JavaScript strings are). */
  function renderEntities(text, entities) {
    const list = entities
      .filter((e) => e && Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
      .map((e) => ({ ...e, end: Math.min(e.offset + e.length, text.length) }))
      .filter((e) => e.offset < text.length)
      .sort((a, b) => a.offset - b.offset || b.end - a.end);

    function build(start, end, items, parent) {
      let pos = start;
      let i = 0;
      while (i < items.length) {
        const e = items[i];
        if (e.offset < pos) {
          i += 1; // overlaps a sibling: keep the first
          continue;
        }
        if (e.offset > pos) parent.append(text.slice(pos, e.offset));
        const eEnd = Math.min(e.end, end);
        const inner = [];
        let j = i + 1;
        while (j < items.length && items[j].offset < eEnd) {
          inner.push({ ...items[j], end: Math.min(items[j].end, eEnd) });
          j += 1;
        }
        const node = entityElement(e, text.slice(e.offset, eEnd));
        const target = node || document.createDocumentFragment();
        build(e.offset, eEnd, inner, target);
        parent.append(target);
        pos = eEnd;
        i = j;
      }
      if (pos < end) parent.append(text.slice(pos, end));
    }

    const frag = document.createDocumentFragment();
    build(0, text.length, list, frag);
    return frag;
  }

  const HTML_TAGS = {
    b: "b", strong: "b", i: "i", em: "i", u: "u", ins: "u", s: "s", strike: "s", del: "s",
    code: "code", pre: "pre", a: "a", blockquote: "blockquote", "tg-spoiler": "span", span: "span",
  };
  const NAMED = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", nbsp: "\u00a0" };

  function decodeEntities(s) {
    return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, body) => {
      if (body[0] === "#") {
        const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
        try {
          return String.fromCodePoint(code);
        } catch {
          return m;
        }
      }
      return NAMED[body.toLowerCase()] ?? m;
    });
  }

  function attr(attrs, name) {
    const re = new RegExp(`${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, "i");
    const m = re.exec(attrs || "");
    return m ? decodeEntities(m[1] ?? m[2] ?? m[3] ?? "") : null;
  }

  /** Telegram's HTML parse_mode, sanitised: only known tags become elements, the rest is text. */
  function renderHtml(text) {
    const root = document.createDocumentFragment();
    const stack = [{ tag: null, node: root }];
    const top = () => stack[stack.length - 1].node;
    const re = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>/g;
    let last = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) top().append(decodeEntities(text.slice(last, m.index)));
      last = re.lastIndex;
      const closing = m[1] === "/";
      const name = m[2].toLowerCase();
      const kind = HTML_TAGS[name];
      const spanOk = name !== "span" || /class\s*=\s*["']?tg-spoiler/i.test(m[3]);
      if (!kind || !spanOk) {
        top().append(m[0]); // not a Telegram tag: shown as the text it is
        continue;
      }
      if (closing) {
        const at = stack.map((f) => f.tag).lastIndexOf(name);
        if (at > 0) stack.length = at;
        else top().append(m[0]);
        continue;
      }
      let node;
      if (kind === "a") node = link(attr(m[3], "href"), []);
      else if (kind === "span") node = entityElement({ type: "spoiler" }, "");
      else node = el(kind);
      top().append(node);
      stack.push({ tag: name, node });
    }
    if (last < text.length) top().append(decodeEntities(text.slice(last)));
    return root;
  }

  function renderBody(msg) {
    const text = msg.text ?? msg.caption ?? "";
    if (!text) return null;
    const box = el("div", { class: "msg-text" });
    const mode = String(msg.parse_mode || "").toLowerCase();
    // The emulator parses parse_mode itself: its text is plain and its entities say where the
    // formatting goes (an empty list too: "a &lt;b&gt;" arrives as the literal "a <b>"). Only a
    // message without an entities list still carries raw HTML, which is then sanitised here.
    if (Array.isArray(msg.entities)) box.append(renderEntities(text, msg.entities));
    else if (mode === "html") box.append(renderHtml(text));
    else box.append(text);
    return box;
  }

  // ------------------------------------------------------------------ message view
  function isMine(msg) {
    return msg.sender === "user" && state.me && Number(msg.user_id) === Number(state.me.user_id);
  }

  function renderMessage(msg, chat) {
    const mine = isMine(msg);
    const fromBot = msg.sender === "bot";
    const classes = ["msg", mine ? "mine" : fromBot ? "from-bot" : "from-other"];
    if (msg.deleted) classes.push("deleted");
    if (msg.edited) classes.push("edited");
    if (msg.photo) classes.push("has-photo");
    if (msg.photo && !(msg.text || msg.caption)) classes.push("photo-only");
    if (msg.document) classes.push("has-doc");
    if (msg.pending) classes.push("pending-send");

    const bubble = el("div", { class: "bubble" });
    if (chat && chat.type !== "private" && !mine) {
      const name = fromBot ? (state.bot && state.bot.first_name) || t("bot") : userName(msg.user_id);
      bubble.append(el("div", { class: "sender", style: `--sender:${colorFor(fromBot ? 0 : msg.user_id)}` }, name));
    }
    if (msg.photo && msg.photo.url) {
      const w = Number(msg.photo.width) || 0;
      const h = Number(msg.photo.height) || 0;
      const img = el("img", {
        class: "photo",
        src: msg.photo.url,
        alt: msg.caption || t("photo"),
        width: w || null,
        height: h || null,
        loading: "lazy",
        decoding: "async",
      });
      if (w) img.style.width = `${Math.min(320, Math.max(180, w))}px`;
      img.addEventListener("load", () => keepAtBottom());
      bubble.append(el("a", { class: "photo-link", href: msg.photo.url, target: "_blank", rel: "noopener" }, img));
    }
    if (msg.document) {
      const d = msg.document;
      const name = d.file_name || "file";
      const ext = (name.includes(".") ? name.split(".").pop() : d.mime_type || "").slice(0, 12);
      bubble.append(
        el(
          "a",
          { class: "doc", href: d.url || "#", download: name, target: "_blank", rel: "noopener" },
          el("span", { class: "doc-icon", "aria-hidden": "true" }, icon("file", 24)),
          el("span", { class: "doc-text" }, el("div", { class: "doc-name" }, name), el("div", { class: "doc-sub" }, ext.toUpperCase())),
        ),
      );
    }
    const body = renderBody(msg);
    const meta = el(
      "span",
      { class: "meta" },
      msg.deleted ? el("span", { class: "deleted-mark" }, t("deleted")) : null,
      msg.edited ? el("span", { class: "edited-mark", title: "edited" }, t("edited")) : null,
      el("time", { datetime: new Date((msg.date || 0) * 1000).toISOString() }, hhmm(msg.date)),
    );
    if (body) {
      body.append(meta);
      bubble.append(body);
    } else {
      bubble.append(meta, el("div", { class: "clear" }));
    }

    const node = el("div", {
      class: classes.join(" "),
      dataset: { messageId: msg.message_id, sender: msg.sender || "", seq: msg.seq ?? 0 },
    }, bubble);

    const rows = Array.isArray(msg.buttons) ? msg.buttons : [];
    if (rows.length && !msg.deleted) {
      const kb = el("div", { class: "kb", role: "group" });
      for (const row of rows) {
        const r = el("div", { class: "kb-row" });
        for (const b of row || []) {
          if (b.url) {
            const href = safeHref(b.url);
            r.append(el("a", { class: "kb-btn url", href: href || "#", target: "_blank", rel: "noopener noreferrer", title: b.url }, b.text));
          } else {
            r.append(
              el("button", {
                type: "button",
                class: "kb-btn",
                "data-callback": b.callback_data ?? "",
                onclick: (ev) => press(msg, b, ev.currentTarget),
              }, b.text),
            );
          }
        }
        kb.append(r);
      }
      node.append(kb);
    }
    return node;
  }

  function messagesBox() {
    return $("#messages");
  }

  function nearBottom() {
    const box = messagesBox();
    return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  }

  let stickToBottom = true;
  function keepAtBottom() {
    if (stickToBottom) {
      const box = messagesBox();
      box.scrollTop = box.scrollHeight;
    }
  }

  /** Draw the current chat: reuse each message's node while its seq is unchanged. */
  function renderConversation({ forceBottom = false } = {}) {
    const chat = state.current;
    const box = messagesBox();
    if (!chat) return;
    stickToBottom = forceBottom || nearBottom();
    const msgs = Array.from((state.store.get(chat.chat_id) || new Map()).values()).sort(
      (a, b) => a.message_id - b.message_id,
    );
    const wanted = [];
    let day = null;
    for (const m of msgs) {
      const k = dayKey(m.date);
      if (k !== day) {
        day = k;
        const sepKey = `${chat.chat_id}:day:${k}:${state.lang}`;
        let sep = state.nodes.get(sepKey);
        if (!sep) {
          sep = { seq: 0, el: el("div", { class: "day-sep" }, dayLabel(m.date)) };
          state.nodes.set(sepKey, sep);
        }
        wanted.push(sep.el);
      }
      const key = `${chat.chat_id}:${m.message_id}`;
      const seq = m.pending ? -1 : m.seq ?? 0;
      let entry = state.nodes.get(key);
      if (!entry || entry.seq !== seq || entry.lang !== state.lang) {
        const fresh = renderMessage(m, chat);
        if (entry && entry.el.parentNode) {
          entry.el.replaceWith(fresh);
          if (entry.seq > 0 && entry.seq !== seq && !m.deleted) fresh.classList.add("flash");
        }
        entry = { seq, el: fresh, lang: state.lang };
        state.nodes.set(key, entry);
      }
      wanted.push(entry.el);
    }
    const empty = $("#messages-empty");
    empty.hidden = msgs.length > 0;
    wanted.unshift(empty);
    let i = 0;
    for (; i < wanted.length; i += 1) {
      const cur = box.children[i];
      if (cur !== wanted[i]) box.insertBefore(wanted[i], cur || null);
    }
    while (box.children.length > wanted.length) box.lastChild.remove();
    renderReplyKeyboard(msgs);
    keepAtBottom();
  }

  /** The custom keyboard of the bot's latest message that set one, above the composer. */
  let replyKbKey = null;
  function renderReplyKeyboard(msgs) {
    const panel = $("#reply-kb");
    let latest = null;
    for (const m of msgs) {
      if (m.sender === "bot" && !m.deleted && Array.isArray(m.reply_keyboard)) latest = m;
    }
    const rows = latest ? latest.reply_keyboard.filter((r) => Array.isArray(r) && r.length) : [];
    const key = latest ? `${latest.chat_id}:${latest.message_id}:${latest.seq}` : null;
    if (!rows.length) {
      panel.hidden = true;
      panel.replaceChildren();
      replyKbKey = null;
      return;
    }
    if (key === replyKbKey) return;
    replyKbKey = key;
    panel.replaceChildren(
      ...rows.map((row) =>
        el(
          "div",
          { class: "kb-row" },
          row.map((label) => {
            const text = typeof label === "string" ? label : String((label && label.text) || "");
            return el("button", { type: "button", class: "kb-btn reply", onclick: () => sendText(text).catch(showError) }, text);
          }),
        ),
      ),
    );
    panel.hidden = false;
  }

  /** Merge messages into the store; stale copies (lower seq) never overwrite newer ones. */
  function absorb(chatId, messages, cursor) {
    const key = Number(chatId);
    if (!state.store.has(key)) state.store.set(key, new Map());
    const box = state.store.get(key);
    let maxSeq = state.cursor.get(key) || 0;
    for (const m of messages || []) {
      if (m == null || m.message_id == null) continue;
      const old = box.get(m.message_id);
      const seq = m.seq ?? 0;
      if (!old || old.pending || (old.seq ?? 0) <= seq) box.set(m.message_id, m);
      maxSeq = Math.max(maxSeq, seq);
    }
    if (Number.isFinite(Number(cursor))) maxSeq = Math.max(maxSeq, Number(cursor));
    state.cursor.set(key, maxSeq);
    state.seen.set(key, Math.max(state.seen.get(key) || 0, maxSeq));
  }

  // ------------------------------------------------------------------ chats
  function privateChat() {
    return { chat_id: Number(state.me.user_id), type: "private", title: null, last_text: "", last_seq: 0 };
  }

  async function loadBot() {
    try {
      const data = await api("/emulator/bots");
      const bots = (data && data.bots) || [];
      if (bots.length) state.bot = bots[0];
    } catch {
      // an emulator without GET /emulator/bots: keep the generic name
    }
  }

  const botName = () => (state.bot && state.bot.first_name) || t("botChat");

  function chatTitle(chat) {
    if (chat.type === "private") return botName();
    return chat.title || `#${chat.chat_id}`;
  }

  function chatSub(chat) {
    if (chat.type === "private") return state.bot && state.bot.username ? `@${state.bot.username}` : t("botSub");
    const local = state.localChats.get(chat.chat_id);
    return local && local.member_ids ? t("groupSub", local.member_ids.length) : `${t("groupSubNoCount")} · ${chat.type}`;
  }

  async function refreshChats() {
    if (!state.me) return;
    const meId = state.me.user_id;
    if (!state.bot) {
      await loadBot();
      if (state.bot && state.current) {
        $("#conv-title").textContent = chatTitle(state.current);
        $("#conv-sub").textContent = chatSub(state.current);
      }
    }
    let server = [];
    try {
      const data = await api(`/emulator/chats?${qs({ user_id: meId })}`);
      server = (data && data.chats) || [];
    } catch (err) {
      console.warn(err);
    }
    if (!state.me || state.me.user_id !== meId) return;
    const byId = new Map();
    byId.set(Number(meId), privateChat());
    for (const c of state.localChats.values()) {
      if ((c.member_ids || []).map(Number).includes(Number(meId))) byId.set(Number(c.chat_id), { ...c });
    }
    for (const c of server) byId.set(Number(c.chat_id), { ...byId.get(Number(c.chat_id)), ...c, chat_id: Number(c.chat_id) });
    state.chats = Array.from(byId.values()).sort((a, b) => {
      if ((b.last_seq || 0) !== (a.last_seq || 0)) return (b.last_seq || 0) - (a.last_seq || 0);
      if (a.type === "private") return -1;
      if (b.type === "private") return 1;
      return String(chatTitle(a)).localeCompare(String(chatTitle(b)));
    });
    if (state.current) {
      const cur = byId.get(Number(state.current.chat_id));
      if (cur) Object.assign(state.current, cur);
    }
    renderChatList();
  }

  function renderChatList() {
    const list = $("#chat-list");
    list.replaceChildren(
      ...state.chats.map((c) => {
        const isCurrent = state.current && Number(state.current.chat_id) === c.chat_id;
        if (isCurrent) state.seen.set(c.chat_id, Math.max(state.seen.get(c.chat_id) || 0, c.last_seq || 0));
        const unread = !isCurrent && (c.last_seq || 0) > (state.seen.get(c.chat_id) || 0);
        const avatar = el("div", { class: "avatar" });
        if (c.type === "private") setAvatar(avatar, "", 0, "bot");
        else setAvatar(avatar, chatTitle(c), c.chat_id);
        return el(
          "li",
          {
            class: `chat-item${isCurrent ? " active" : ""}`,
            dataset: { chatId: c.chat_id, type: c.type },
            tabindex: 0,
            role: "button",
            onclick: () => openChat(c),
            onkeydown: (ev) => (ev.key === "Enter" ? openChat(c) : null),
          },
          avatar,
          el(
            "div",
            { class: "chat-text" },
            el("div", { class: "chat-title" }, chatTitle(c)),
            el("div", { class: "chat-last" }, c.last_text || (c.type === "private" ? t("botSub") : chatSub(c))),
          ),
          unread ? el("span", { class: "badge", "aria-label": "unread" }, "•") : null,
        );
      }),
    );
  }

  async function openChat(chat) {
    state.gen += 1;
    const gen = state.gen;
    if (state.abort) state.abort.abort();
    state.abort = new AbortController();
    const signal = state.abort.signal;
    state.current = { ...chat };
    app.dataset.view = "chat";
    $("#conv-title").textContent = chatTitle(chat);
    $("#conv-sub").textContent = chatSub(chat);
    if (chat.type === "private") setAvatar($("#conv-avatar"), "", 0, "bot");
    else setAvatar($("#conv-avatar"), chatTitle(chat), chat.chat_id);
    $("#conversation").dataset.chatId = chat.chat_id;
    renderChatList();
    renderConversation({ forceBottom: true });
    try {
      const data = await api(`/emulator/messages?${qs({ chat_id: chat.chat_id, since: 0, include_user: 1 })}`, { signal });
      if (gen !== state.gen) return;
      absorb(chat.chat_id, data && data.messages, data && data.cursor);
      renderConversation({ forceBottom: true });
    } catch (err) {
      if (signal.aborted) return;
      showError(err);
    }
    $("#composer-input").focus();
    liveLoop(chat.chat_id, gen, signal);
  }

  async function liveLoop(chatId, gen, signal) {
    let failures = 0;
    while (gen === state.gen && !signal.aborted) {
      try {
        const since = state.cursor.get(Number(chatId)) || 0;
        const data = await api(
          `/emulator/wait?${qs({ chat_id: chatId, since, timeout: 25, include_user: 1 })}`,
          { signal },
        );
        if (gen !== state.gen) return;
        failures = 0;
        if (data && Number(data.cursor) < since) {
          // the emulator was reset: what we hold is gone, start this chat again from scratch
          state.store.delete(Number(chatId));
          state.cursor.delete(Number(chatId));
          renderConversation();
          continue;
        }
        const msgs = (data && data.messages) || [];
        absorb(chatId, msgs, data && data.cursor);
        if (msgs.length) {
          renderConversation();
          refreshChats();
        }
      } catch (err) {
        if (signal.aborted || gen !== state.gen) return;
        failures += 1;
        console.warn("wait failed", err);
        await sleep(Math.min(5000, 500 * failures));
      }
    }
  }

  // ------------------------------------------------------------------ actions
  async function sendText(text) {
    const chat = state.current;
    if (!chat || !state.me) return;
    const me = state.me;
    const body = {
      user_id: me.user_id,
      text,
      chat_id: chat.chat_id,
      chat_type: chat.type,
      first_name: me.first_name,
      language_code: me.language_code || "vi",
    };
    if (chat.type !== "private" && chat.title) body.chat_title = chat.title;
    const r = await api("/emulator/send", { method: "POST", json: body });
    const chatId = Number(r.chat_id ?? chat.chat_id);
    if (!state.store.has(chatId)) state.store.set(chatId, new Map());
    const box = state.store.get(chatId);
    if (!box.has(r.message_id)) {
      box.set(r.message_id, {
        message_id: r.message_id,
        chat_id: chatId,
        date: Math.floor(Date.now() / 1000),
        sender: "user",
        user_id: me.user_id,
        text,
        entities: [],
        buttons: [],
        seq: 0,
        pending: true,
      });
    }
    if (state.current && Number(state.current.chat_id) === chatId) renderConversation({ forceBottom: true });
    refreshChats();
  }

  async function press(msg, button, node) {
    if (!state.me || !state.current) return;
    node.disabled = true;
    node.classList.add("pending");
    const release = () => {
      node.disabled = false;
      node.classList.remove("pending");
    };
    try {
      const r = await api("/emulator/press", {
        method: "POST",
        json: {
          user_id: state.me.user_id,
          chat_id: msg.chat_id ?? state.current.chat_id,
          message_id: msg.message_id,
          data: button.callback_data,
        },
      });
      pollAnswer(r && r.callback_query_id).finally(release);
    } catch (err) {
      release();
      showError(err);
    }
  }

  /** The bot answers a callback query a moment later: look for its text for a few seconds. */
  async function pollAnswer(id) {
    if (id === undefined || id === null) return;
    for (let i = 0; i < 20; i += 1) {
      await sleep(i < 5 ? 150 : 300);
      try {
        const a = await api(`/emulator/callback_answers?${qs({ callback_query_id: id })}`);
        if (a) {
          if (a.text) toast(a.text, a.show_alert);
          return;
        }
      } catch (err) {
        console.warn(err);
        return;
      }
    }
  }

  async function upload(file) {
    const chat = state.current;
    if (!chat || !state.me || !file) return;
    const input = $("#composer-input");
    const form = new FormData();
    form.append("user_id", String(state.me.user_id));
    form.append("chat_id", String(chat.chat_id));
    if (input.value.trim()) form.append("caption", input.value.trim());
    form.append("file", file, file.name);
    toast(t("uploading"));
    try {
      await api("/emulator/upload", { method: "POST", form });
      input.value = "";
      autoGrow();
      $("#toast").hidden = true;
      refreshChats();
    } catch (err) {
      showError(err);
    }
  }

  // ------------------------------------------------------------------ users
  async function loadUsers() {
    const data = await api("/emulator/users");
    state.users = new Map(((data && data.users) || []).map((u) => [Number(u.user_id), u]));
    renderUserList();
  }

  function renderUserList() {
    const list = $("#user-list");
    const users = Array.from(state.users.values());
    $("#user-list-empty").hidden = users.length > 0;
    list.replaceChildren(
      ...users.map((u) => {
        const av = el("div", { class: "avatar" });
        setAvatar(av, fullName(u), u.user_id);
        return el(
          "li",
          {},
          el(
            "button",
            { type: "button", class: "user-card", dataset: { userId: u.user_id }, onclick: () => chooseUser(u) },
            av,
            el(
              "div",
              { class: "who" },
              el("div", { class: "name" }, fullName(u)),
              el("div", { class: "role" }, u.label || t("noLabel")),
            ),
            el("div", { class: "uid" }, u.username ? `@${u.username}` : `#${u.user_id}`),
          ),
        );
      }),
    );
  }

  function chooseUser(u) {
    state.me = u;
    state.current = null;
    state.gen += 1;
    if (state.abort) state.abort.abort();
    localStorage.setItem("chitieu.user", String(u.user_id));
    const url = new URL(location.href);
    url.searchParams.set("user", String(u.user_id));
    history.replaceState(null, "", url);
    setAvatar($("#me-avatar"), fullName(u), u.user_id);
    $("#me-name").textContent = fullName(u);
    $("#me-label").textContent = u.label || (u.username ? `@${u.username}` : t("noLabel"));
    app.dataset.user = u.user_id;
    state.chats = [privateChat()];
    renderChatList();
    const narrow = window.matchMedia("(max-width: 720px)").matches;
    openChat(privateChat());
    if (narrow) app.dataset.view = "chat";
    refreshChats();
    clearInterval(state.chatTimer);
    state.chatTimer = setInterval(refreshChats, 4000);
  }

  function switchUser() {
    state.me = null;
    state.current = null;
    state.gen += 1;
    if (state.abort) state.abort.abort();
    clearInterval(state.chatTimer);
    localStorage.removeItem("chitieu.user");
    const url = new URL(location.href);
    url.searchParams.delete("user");
    history.replaceState(null, "", url);
    app.dataset.view = "picker";
    loadUsers().catch(showError);
  }

  async function createUser(form) {
    const fd = new FormData(form);
    const body = {};
    for (const [k, v] of fd.entries()) {
      const s = String(v).trim();
      if (!s) continue;
      body[k] = k === "user_id" ? Number(s) : s;
    }
    const err = $("#picker-error");
    err.hidden = true;
    try {
      const u = await api("/emulator/users", { method: "POST", json: body });
      state.users.set(Number(u.user_id), u);
      renderUserList();
      form.reset();
      $("#new-user").open = false;
      chooseUser(u);
    } catch (e) {
      err.textContent = `${t("error")}: ${e.message}`;
      err.hidden = false;
    }
  }

  // ------------------------------------------------------------------ groups
  function openGroupDialog() {
    const box = $("#group-members");
    const me = state.me;
    box.replaceChildren(
      ...Array.from(state.users.values()).map((u) => {
        const isMe = me && u.user_id === me.user_id;
        return el(
          "label",
          {},
          el("input", { type: "checkbox", name: "member", value: u.user_id, checked: true, disabled: isMe }),
          el("span", {}, `${fullName(u)}${isMe ? ` ${t("me")}` : ""}${u.label ? ` · ${u.label}` : ""}`),
        );
      }),
    );
    $("#group-dialog").showModal();
  }

  async function createGroup(form) {
    const fd = new FormData(form);
    const ids = new Set(fd.getAll("member").map(Number));
    ids.add(Number(state.me.user_id));
    const body = { title: String(fd.get("title") || "").trim(), type: String(fd.get("type") || "group"), member_ids: [...ids] };
    if (!body.title) return;
    try {
      const r = await api("/emulator/groups", { method: "POST", json: body });
      const chat = { chat_id: Number(r.chat_id), type: body.type, title: body.title, last_text: "", last_seq: 0, member_ids: body.member_ids };
      state.localChats.set(chat.chat_id, chat);
      $("#group-dialog").close();
      form.reset();
      await refreshChats();
      openChat(chat);
    } catch (e) {
      showError(e);
    }
  }

  // ------------------------------------------------------------------ i18n
  function applyLang() {
    document.documentElement.lang = state.lang;
    for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = t(n.dataset.i18n);
    for (const n of document.querySelectorAll("[data-i18n-title]")) n.title = t(n.dataset.i18nTitle);
    for (const n of document.querySelectorAll("[data-i18n-placeholder]")) n.placeholder = t(n.dataset.i18nPlaceholder);
    for (const n of document.querySelectorAll(".lang-toggle")) n.textContent = state.lang === "vi" ? "EN" : "VI";
    renderUserList();
    if (state.me) {
      $("#me-label").textContent = state.me.label || (state.me.username ? `@${state.me.username}` : t("noLabel"));
      renderChatList();
    }
    if (state.current) {
      $("#conv-title").textContent = chatTitle(state.current);
      $("#conv-sub").textContent = chatSub(state.current);
      renderConversation();
    }
  }

  // ------------------------------------------------------------------ composer
  const input = $("#composer-input");
  function autoGrow() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
  }
  input.addEventListener("input", autoGrow);
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      $("#composer").requestSubmit();
    }
  });
  $("#composer").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = input.value.replace(/\s+$/, "");
    if (!text.trim()) return;
    input.value = "";
    autoGrow();
    try {
      await sendText(text);
    } catch (err) {
      input.value = text;
      showError(err);
    }
  });
  $("#file-input").addEventListener("change", (ev) => {
    const f = ev.target.files && ev.target.files[0];
    ev.target.value = "";
    upload(f);
  });

  // bot commands inside messages are clickable, as in Telegram
  $("#messages").addEventListener("click", (ev) => {
    const cmd = ev.target.closest && ev.target.closest("a.cmd");
    if (!cmd) return;
    ev.preventDefault();
    sendText(cmd.dataset.command).catch(showError);
  });

  // ------------------------------------------------------------------ wiring
  document.addEventListener("click", (ev) => {
    const btn = ev.target.closest && ev.target.closest("[data-action]");
    if (!btn) return;
    const action = btn.dataset.action;
    if (action === "toggle-lang") {
      state.lang = state.lang === "vi" ? "en" : "vi";
      localStorage.setItem("chitieu.lang", state.lang);
      applyLang();
    } else if (action === "switch-user") switchUser();
    else if (action === "new-group") openGroupDialog();
    else if (action === "close-dialog") $("#group-dialog").close();
    else if (action === "back") {
      app.dataset.view = "list";
      refreshChats();
    }
  });
  $("#new-user-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    createUser(ev.currentTarget);
  });
  $("#group-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    createGroup(ev.currentTarget);
  });

  async function start() {
    applyLang();
    try {
      await Promise.all([loadUsers(), loadBot()]);
    } catch (err) {
      showError(err);
    }
    if (!state.users.size) $("#new-user").open = true;
    const wanted = new URL(location.href).searchParams.get("user") || localStorage.getItem("chitieu.user");
    const u = wanted && state.users.get(Number(wanted));
    if (u) chooseUser(u);
    app.dataset.ready = "1";
  }

  // for the browser tests: the pure formatting functions, to check sanitising directly
  window.chitieuWebChat = Object.freeze({
    html: (text) => el("div", {}, renderHtml(String(text))).innerHTML,
    entities: (text, entities) => el("div", {}, renderEntities(String(text), entities)).innerHTML,
  });

  start();
})();
