/*
 * Cedars patient chat widget (vanilla ES2019, no framework, no build step).
 *
 * Embedded with ONE tag:  <script src="https://HOST/webhooks/web/widget.js" defer></script>
 * It derives BASE from its own src, loads BASE/widget.css, BASE/vendor/marked.min.js and
 * BASE/vendor/purify.min.js, and talks to the server API (see the widget API contract):
 *   POST BASE/session  -> {resumed, max_chars, phone}   (identity is an HttpOnly cookie only)
 *   GET  BASE/history  -> {messages}                    (rendered on load, so reloads keep the chat)
 *   POST BASE/message  {text, client_id, title?, page_language, language_choice?} -> {messages}
 *                      (same client_id = safe retry; page_language: the UI language, "en" | "es";
 *                      language_choice: sent once, with the first message after the patient
 *                      used the language toggle; each message has a `language`, "en" | "es")
 *   POST BASE/end      {} -> {ended}                    (clears the session cookie: "End chat")
 *   POST BASE/feedback {kb_entry, timestamp, rating, comment?} -> {rating, kb_entry, timestamp}
 *                                                       (rates an answer; the server keeps it)
 * Every POST carries Content-Type: application/json (the server refuses anything else).
 *
 * What it does:
 * - A floating toggle button opens a chat panel (full-screen on narrow screens); focus moves to
 *   the input on open and back to the toggle on close; Escape closes. The open/closed state (not
 *   the messages) is kept in sessionStorage.
 * - Bot text is markdown rendered by marked with raw HTML escaped, sanitized by DOMPurify (small
 *   tag allowlist, http/https/tel/mailto links only), then bare phone numbers become tel: links.
 *   User text is only ever set with textContent.
 * - One send at a time: while a message is in flight sending is off. On network/server errors
 *   the message is kept and retried with backoff (1s, 2s, 4s, ... max 10s) with the SAME
 *   client_id, and a status line gives the phone number. Failed /session calls retry the same way.
 * - Quick replies are live only for the latest bot turn; an emergency reply shows a 911 banner.
 * - An answer the server marks rateable gets "Helpful" / "Not helpful" buttons (aria-pressed);
 *   after "Not helpful" an optional comment box (Send / Skip). The rating is sent to the server,
 *   which keeps it in the conversation: nothing about it is stored in the browser, and the
 *   history brings it back after a reload. A rating can be changed; the latest counts.
 * - English and Spanish: every visible or spoken string is in STRINGS (one table per language).
 *   The UI language is the patient's toggle choice (sessionStorage), else the `data-lang` of the
 *   widget's script tag, else the page's <html lang> ("es", "es-MX", "es-419" -> es; else en).
 *   The header toggle ("Español" / "English") relabels everything at once. The panel has
 *   `lang` of the UI; each bubble has the language of its message (a patient's: the UI
 *   language when sent; a bot's: its `language` from the server, "en" when it has none).
 * - "End chat" (for shared computers) asks the server to forget the session in this browser,
 *   then clears the shown conversation and the widget's sessionStorage (the language choice
 *   too); the next message starts a new conversation. Until the server has confirmed, nothing
 *   else is sent (and a reload retries it first). A 429 answer is retried after its Retry-After.
 *
 * The only global it defines is window.CedarsChat = {open(), close()}.
 */
(function () {
  "use strict";

  if (document.getElementById("cc-chat-root")) return; // loaded twice: keep the first

  // ---------------------------------------------------------------- configuration
  var script =
    document.currentScript ||
    Array.prototype.slice.call(document.querySelectorAll("script[src]")).filter(function (s) {
      return /\/widget\.js(\?|#|$)/.test(s.src);
    })[0];
  var BASE = script ? script.src.replace(/[?#].*$/, "").replace(/\/widget\.js$/, "") : "";

  var STORAGE_KEY = "cc-chat-open";
  var ENDING_KEY = "cc-chat-ending"; // set from "End chat" until POST /end has succeeded
  var LANG_KEY = "cc-chat-lang"; // the UI language the patient chose with the toggle
  var CHOICE_KEY = "cc-chat-lang-choice"; // that choice, until a message has carried it
  var REQUEST_TIMEOUT_MS = 45000;
  var RETRY_FIRST_MS = 1000;
  var RETRY_MAX_MS = 10000;
  var RETRY_AFTER_MAX_MS = 600000; // a server's Retry-After is followed up to 10 minutes
  var COUNTER_FROM = 0.8; // show the character counter from 80% of max_chars
  var ALLOWED_TAGS = ["p", "br", "strong", "em", "ul", "ol", "li", "a", "code"];
  var ALLOWED_URI = /^(?:https?|tel|mailto):/i;
  var RATED = { helpful: "helpful", not_helpful: "notHelpful" }; // rating -> its label's key
  var COMMENT_MAX = 300;

  // Every string the patient sees or hears, per UI language ({name} is filled in by t()).
  // Spanish: usted, plain words, for a US Latino audience.
  var STRINGS = {
    en: {
      locale: "en-US", // dates and times
      languageName: "English", // the toggle that switches to this language shows these two,
      languageSwitch: " (show the chat in English)", // in this language
      languageNow: "The chat is now in English.",
      openChat: "Open chat",
      closeChat: "Close chat",
      title: "Ask about immunotherapy",
      call: "Call {phone}",
      callDigits: " ({digits})",
      endChat: "End chat",
      chatEnded: "Chat ended. The conversation is cleared from this screen.",
      intro: "Ask a question about immunotherapy or your visit to the infusion center.",
      conversation: "Conversation",
      inputLabel: "Type your question",
      hint: "Enter to send, Shift+Enter for a new line.",
      send: "Send",
      counter: "{used} / {max}",
      limitReached: "Character limit reached.",
      charactersLeft: "{count} characters left.",
      nearLimit: "Near the character limit.",
      youSaid: "You said: ",
      assistantSaid: "Assistant said: ",
      newTab: " (opens in a new tab)",
      suggestedReplies: "Suggested replies",
      typing: "Assistant is typing…",
      notSent: "Not sent.",
      emergencyLead: "If this is an emergency, ",
      emergencyCall: "call 911 now",
      emergencyEnd: ".",
      unreachable: "We can't reach the assistant right now. ", // status line leads
      notSentStatus: "Sorry, that message could not be sent. ",
      slowDown: "Too many messages at once; yours will be sent in a moment. ",
      statusCall: "Call ",
      statusDigits: "({digits})",
      statusEnd: ".",
      ratePrompt: "Was this helpful?",
      helpful: "Helpful",
      notHelpful: "Not helpful",
      rateThanks: "Thanks for your feedback.",
      rateFailed: "Sorry, your rating was not saved. Please try again.",
      commentLabel: "What was missing? (optional)",
      commentSend: "Send",
      commentSkip: "Skip",
    },
    es: {
      locale: "es-US",
      languageName: "Español",
      languageSwitch: " (ver el chat en español)",
      languageNow: "El chat ahora está en español.",
      openChat: "Abrir el chat",
      closeChat: "Cerrar el chat",
      title: "Pregunte sobre la inmunoterapia",
      call: "Llamar al {phone}",
      callDigits: " ({digits})",
      endChat: "Terminar el chat",
      chatEnded: "El chat terminó. La conversación se borró de esta pantalla.",
      intro: "Haga una pregunta sobre la inmunoterapia o sobre su visita al centro de infusión.",
      conversation: "Conversación",
      inputLabel: "Escriba su pregunta",
      hint: "Enter para enviar, Shift+Enter para una línea nueva.",
      send: "Enviar",
      counter: "{used} / {max}",
      limitReached: "Llegó al límite de caracteres.",
      charactersLeft: "Quedan {count} caracteres.",
      nearLimit: "Está cerca del límite de caracteres.",
      youSaid: "Usted dijo: ",
      assistantSaid: "El asistente dijo: ",
      newTab: " (se abre en una pestaña nueva)",
      suggestedReplies: "Respuestas sugeridas",
      typing: "El asistente está escribiendo…",
      notSent: "No se envió.",
      emergencyLead: "Si es una emergencia, ",
      emergencyCall: "llame al 911 ahora",
      emergencyEnd: ".",
      unreachable: "En este momento no podemos comunicarnos con el asistente. ",
      notSentStatus: "Lo sentimos, no se pudo enviar ese mensaje. ",
      slowDown: "Hay demasiados mensajes a la vez; el suyo se enviará en un momento. ",
      statusCall: "Llame al ",
      statusDigits: "({digits})",
      statusEnd: ".",
      ratePrompt: "¿Le sirvió esta respuesta?",
      helpful: "Me sirvió",
      notHelpful: "No me sirvió",
      rateThanks: "Gracias por su opinión.",
      rateFailed: "Lo sentimos, no se guardó su respuesta. Por favor, intente de nuevo.",
      commentLabel: "¿Qué información le faltó? (opcional)",
      commentSend: "Enviar",
      commentSkip: "Omitir",
    },
  };

  var config = {
    maxChars: 1000,
    phone: { display: "1-800-CEDARS-1", digits: "1-800-233-2771", tel: "+18002332771" },
  };

  // ---------------------------------------------------------------- state
  var ui = {}; // DOM elements, filled by build()
  var sessionReady = false; // POST /session succeeded
  var historyLoaded = false; // GET /history rendered once
  var pending = null; // {text, title, clientId, el}: the one message being sent
  var pumping = false; // a pump() run is in progress
  var retryTimer = null;
  var retryDelay = RETRY_FIRST_MS;
  var failures = 0; // consecutive failed attempts (typing indicator only on the first try)
  var render = null; // markdown -> DocumentFragment, set once marked + DOMPurify load
  var ending = false; // "End chat" was chosen and POST /end has not succeeded yet
  var dormant = false; // after "End chat": no new session until the patient sends something
  var epoch = 0; // +1 on "End chat"; answers to requests of an earlier epoch are dropped
  var lastCounterNote = "";
  var uiLang = "en"; // the UI language, a key of STRINGS; set by start()
  var languageChoice = null; // the toggle's choice ("en" | "es") until a message carries it

  // ---------------------------------------------------------------- languages
  function t(key, args) {
    var text = STRINGS[uiLang][key];
    return String(text).replace(/\{(\w+)\}/g, function (whole, name) {
      return args && args[name] !== undefined ? String(args[name]) : whole;
    });
  }

  // "es", "es-MX", "es-419" -> "es"; any other tag -> "en"; nothing -> null.
  function languageOf(tag) {
    tag = typeof tag === "string" ? tag.trim() : "";
    if (!tag) return null;
    return /^es(?:[-_]|$)/i.test(tag) ? "es" : "en";
  }

  function knownLanguage(code) {
    return code === "en" || code === "es" ? code : null;
  }

  function otherLanguage() {
    return uiLang === "es" ? "en" : "es";
  }

  function initialLanguage() {
    var chosen = null;
    try { chosen = knownLanguage(window.sessionStorage.getItem(LANG_KEY)); } catch (e) { /* storage off */ }
    return chosen ||
      languageOf(script && script.getAttribute("data-lang")) ||
      languageOf(document.documentElement.getAttribute("lang")) ||
      "en";
  }

  function storedChoice() {
    try { return knownLanguage(window.sessionStorage.getItem(CHOICE_KEY)); } catch (e) { return null; }
  }

  // Kept in sessionStorage too, so a reload before the next message does not lose it.
  function storeChoice(code) {
    languageChoice = code;
    try {
      if (code) window.sessionStorage.setItem(CHOICE_KEY, code);
      else window.sessionStorage.removeItem(CHOICE_KEY);
    } catch (e) { /* storage off */ }
  }

  // Sets a node's text ("text") or an attribute from the string table, and remembers the key
  // so setLanguage() can set it again in the other language.
  function tr(node, attr, key, args) {
    var labels = node.ccLabels || (node.ccLabels = {});
    labels[attr] = { key: key, args: args };
    node.setAttribute("data-cc-i18n", "");
    if (attr === "text") node.textContent = t(key, args);
    else node.setAttribute(attr, t(key, args));
    return node;
  }

  // A status line's text from the table, or (no key) empty.
  function setNote(node, key) {
    if (key) { tr(node, "text", key); return; }
    node.textContent = "";
    if (node.ccLabels) delete node.ccLabels.text;
  }

  // UI text inside a message bubble (whose lang is the message's): it keeps the UI's lang.
  function uiText(className, key) {
    var node = tr(el("span", { className: className }), "text", key);
    node.setAttribute("data-cc-ui-lang", "");
    node.setAttribute("lang", uiLang);
    return node;
  }

  // ---------------------------------------------------------------- small helpers
  // attrs.t maps "text" or attribute names to string-table keys: {text: "send"}.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "className") node.className = attrs[name];
      else if (name === "t") Object.keys(attrs.t).forEach(function (attr) { tr(node, attr, attrs.t[attr]); });
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function srOnly(text) {
    return el("span", { className: "cc-sr-only", text: text });
  }

  function telLink(href, text, className) {
    return el("a", { href: "tel:" + href, className: className || "cc-tel", text: text });
  }

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function storeOpen(isOpen) {
    try { window.sessionStorage.setItem(STORAGE_KEY, isOpen ? "1" : "0"); } catch (e) { /* storage off */ }
  }

  function storedOpen() {
    try { return window.sessionStorage.getItem(STORAGE_KEY) === "1"; } catch (e) { return false; }
  }

  function setEnding(on) {
    ending = on;
    try {
      if (on) window.sessionStorage.setItem(ENDING_KEY, "1");
      else window.sessionStorage.removeItem(ENDING_KEY);
    } catch (e) { /* storage off: the flag lives until the page closes */ }
  }

  function storedEnding() {
    try { return window.sessionStorage.getItem(ENDING_KEY) === "1"; } catch (e) { return false; }
  }

  function forgetStoredState() {
    try {
      [STORAGE_KEY, LANG_KEY, CHOICE_KEY].forEach(function (key) { window.sessionStorage.removeItem(key); });
    } catch (e) { /* storage off */ }
  }

  // A message's time in the UI language ("3:05 PM", "3:05 p. m."; with the date if not today).
  function formatTime(date) {
    var options = { hour: "numeric", minute: "2-digit" };
    if (date.toDateString() !== new Date().toDateString()) {
      options.month = "short";
      options.day = "numeric";
    }
    try { return new Intl.DateTimeFormat(t("locale"), options).format(date); } catch (e) {
      return date.toLocaleString(undefined, options);
    }
  }

  function timeElement(seconds) {
    var date = new Date(typeof seconds === "number" && isFinite(seconds) ? seconds * 1000 : Date.now());
    return el("time", { className: "cc-time", datetime: date.toISOString(), text: formatTime(date) });
  }

  // ---------------------------------------------------------------- loading assets
  function loadCss(href) {
    return new Promise(function (resolve) {
      var link = el("link", { rel: "stylesheet", href: href });
      link.onload = link.onerror = resolve; // unstyled is better than no widget
      document.head.appendChild(link);
    });
  }

  // Loads a vendor script, takes the global it defines and puts back whatever the page had
  // under that name, so the widget neither clobbers nor leaks globals.
  function loadLibrary(src, name) {
    var had = Object.prototype.hasOwnProperty.call(window, name);
    var previous = window[name];
    return new Promise(function (resolve, reject) {
      var tag = el("script", { src: src });
      tag.async = true;
      tag.onload = function () {
        var lib = window[name];
        if (had) window[name] = previous;
        else { try { delete window[name]; } catch (e) { window[name] = undefined; } }
        if (lib) resolve(lib);
        else reject(new Error(name + " did not load"));
      };
      tag.onerror = function () { reject(new Error(src + " failed to load")); };
      document.head.appendChild(tag);
    });
  }

  // ---------------------------------------------------------------- markdown rendering
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function makeRenderer(markedLib, purifyLib) {
    var md = new markedLib.Marked({ async: false, gfm: true, breaks: true });
    md.use({
      renderer: {
        // Raw HTML in the markdown is shown as text, never passed through.
        html: function (token) {
          var text = escapeHtml(token.text);
          return token.block ? "<p>" + text + "</p>" : text;
        },
        heading: function (token) {
          return "<p><strong>" + this.parser.parseInline(token.tokens) + "</strong></p>";
        },
        image: function (token) { return escapeHtml(token.text || ""); },
        hr: function () { return ""; },
      },
    });
    var purify = purifyLib(window); // a private instance: the page's DOMPurify config is untouched
    var purifyConfig = {
      ALLOWED_TAGS: ALLOWED_TAGS,
      ALLOWED_ATTR: ["href", "title", "start"],
      ALLOWED_URI_REGEXP: ALLOWED_URI,
      ALLOW_DATA_ATTR: false,
      RETURN_DOM_FRAGMENT: true,
    };
    return function (markdown) {
      var fragment = purify.sanitize(md.parse(String(markdown)), purifyConfig);
      Array.prototype.slice.call(fragment.querySelectorAll("a")).forEach(function (a) {
        var href = a.getAttribute("href") || "";
        if (!ALLOWED_URI.test(href)) { // href dropped by DOMPurify: keep the text, not the link
          while (a.firstChild) a.parentNode.insertBefore(a.firstChild, a);
          a.parentNode.removeChild(a);
        } else if (/^https?:/i.test(href)) {
          a.setAttribute("target", "_blank");
          a.setAttribute("rel", "noopener noreferrer");
          a.appendChild(uiText("cc-sr-only", "newTab"));
        }
      });
      linkPhoneNumbers(fragment);
      return fragment;
    };
  }

  // Without marked/DOMPurify (failed to load) bot text is still shown, as plain text.
  function plainRenderer(text) {
    var fragment = document.createDocumentFragment();
    String(text).split(/\n{2,}/).forEach(function (para) {
      fragment.appendChild(el("p", { text: para }));
    });
    linkPhoneNumbers(fragment);
    return fragment;
  }

  // Toll-free numbers with letters or digits (1-800-CEDARS-1, 1-800-233-2771), ordinary US
  // numbers ((310) 555-0123, +1 310 555 0123) and the short emergency/crisis numbers 911, 988.
  var PHONE_RE = /1-8\d\d-(?:[A-Z0-9]-?){6}[A-Z0-9]|(?:\+?1[-. ]?)?(?:\(\d{3}\)|\d{3})[-. ]?\d{3}[-. ]\d{4}|911|988/g;
  var KEYPAD = "22233344455566677778889999"; // A..Z on a phone keypad

  function telHref(match) {
    var digits = match.toUpperCase().replace(/[A-Z]/g, function (c) {
      return KEYPAD.charAt(c.charCodeAt(0) - 65);
    }).replace(/\D/g, "");
    if (digits.length === 3) return digits; // 911, 988
    if (digits.length === 10) digits = "1" + digits;
    return digits.length === 11 && digits.charAt(0) === "1" ? "+" + digits : null;
  }

  function linkPhoneNumbers(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, null);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      for (var p = node.parentNode; p && p !== root; p = p.parentNode) {
        if (p.nodeName === "A" || p.nodeName === "CODE") return;
      }
      var text = node.nodeValue;
      var parts = [];
      var last = 0;
      var m;
      PHONE_RE.lastIndex = 0;
      while ((m = PHONE_RE.exec(text))) {
        var before = text.charAt(m.index - 1);
        var after = text.charAt(m.index + m[0].length);
        var href = telHref(m[0]);
        // Not part of a longer number or word ("9110", "A911", "911-ish", "$988").
        if (!href || /[\w$+-]/.test(before) || /\w/.test(after) || /-\d/.test(text.substr(m.index + m[0].length, 2))) continue;
        parts.push(text.slice(last, m.index), telLink(href, m[0]));
        last = m.index + m[0].length;
      }
      if (!parts.length) return;
      parts.push(text.slice(last));
      var fragment = document.createDocumentFragment();
      parts.forEach(function (part) {
        if (typeof part !== "string") fragment.appendChild(part);
        else if (part) fragment.appendChild(document.createTextNode(part));
      });
      node.parentNode.replaceChild(fragment, node);
    });
  }

  // ---------------------------------------------------------------- DOM
  function build() {
    ui.toggle = el("button", {
      type: "button", className: "cc-toggle", "data-testid": "cc-toggle",
      "aria-expanded": "false", "aria-controls": "cc-panel", t: { "aria-label": "openChat" },
    });
    ui.toggle.innerHTML = // static, trusted icons
      '<svg class="cc-icon cc-icon-open" viewBox="0 0 24 24" aria-hidden="true" focusable="false">' +
      '<path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>' +
      '<svg class="cc-icon cc-icon-close" viewBox="0 0 24 24" aria-hidden="true" focusable="false">' +
      '<path d="M6 6l12 12M18 6L6 18"/></svg>';

    ui.close = el("button", {
      type: "button", className: "cc-close", t: { "aria-label": "closeChat" }, "data-testid": "cc-close",
    });
    ui.close.innerHTML =
      '<svg class="cc-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M6 6l12 12M18 6L6 18"/></svg>';

    ui.call = el("a", { className: "cc-call", "data-testid": "cc-call", href: "tel:" + config.phone.tel });
    ui.title = el("h2", { className: "cc-title", id: "cc-title", t: { text: "title" } });
    ui.end = el("button", { type: "button", className: "cc-end", "data-testid": "cc-end", t: { text: "endChat" } });
    // Shows the other language's name, in that language ("Español" / "English").
    ui.lang = el("button", { type: "button", className: "cc-lang", "data-testid": "cc-lang" });
    var actions = el("div", { className: "cc-actions" }, [ui.call, ui.lang, ui.end]);
    var header = el("div", { className: "cc-header" }, [ui.title, actions, ui.close]);

    ui.emergency = el("div", { className: "cc-emergency", role: "alert", "data-testid": "cc-emergency" });
    ui.intro = el("p", { className: "cc-intro", t: { text: "intro" } });
    ui.notice = el("p", { className: "cc-notice", role: "status", "data-testid": "cc-notice" });
    ui.log = el("div", {
      className: "cc-log", role: "log", "aria-live": "polite", t: { "aria-label": "conversation" },
      "data-testid": "cc-log", tabindex: "0",
    });
    ui.typing = el("div", { className: "cc-typing", role: "status", "data-testid": "cc-typing" });
    ui.status = el("div", { className: "cc-status", role: "status", "data-testid": "cc-status" });

    ui.input = el("textarea", {
      id: "cc-input", className: "cc-input", "data-testid": "cc-input", rows: "1",
      maxlength: String(config.maxChars), autocomplete: "off", "aria-describedby": "cc-hint",
    });
    ui.counter = el("div", { className: "cc-counter", "aria-hidden": "true" });
    ui.counterNote = el("div", { className: "cc-sr-only", "aria-live": "polite" });
    ui.send = el("button", { type: "submit", className: "cc-send", "data-testid": "cc-send", t: { text: "send" } });
    ui.form = el("form", { className: "cc-composer", novalidate: "" }, [
      el("label", { className: "cc-sr-only", for: "cc-input", t: { text: "inputLabel" } }),
      el("div", { className: "cc-composer-row" }, [ui.input, ui.send]),
      el("div", { className: "cc-composer-foot" }, [
        el("span", { id: "cc-hint", className: "cc-hint", t: { text: "hint" } }),
        ui.counter,
      ]),
      ui.counterNote,
    ]);

    ui.panel = el("div", {
      id: "cc-panel", className: "cc-panel", "data-testid": "cc-panel",
      role: "dialog", "aria-modal": "false", "aria-labelledby": "cc-title", hidden: "",
    }, [header, ui.emergency, ui.intro, ui.notice, ui.log, ui.typing, ui.status, ui.form]);

    ui.root = el("div", { id: "cc-chat-root", className: "cc-root", lang: uiLang, hidden: "" }, [ui.panel, ui.toggle]);
    labelLanguageToggle();
    updatePhone();
    updateCounter();

    ui.toggle.addEventListener("click", function () { if (isOpen()) close(); else open(); });
    ui.close.addEventListener("click", function () { close(); });
    ui.end.addEventListener("click", function () { endChat(); });
    ui.lang.addEventListener("click", function () { chooseLanguage(otherLanguage()); });
    ui.root.addEventListener("keydown", function (event) { // in the panel or on the toggle
      if ((event.key === "Escape" || event.key === "Esc") && isOpen()) { event.preventDefault(); close(); }
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submitTyped();
      }
    });
    ui.input.addEventListener("input", function () { autoGrow(); updateCounter(); });
    ui.form.addEventListener("submit", function (event) { event.preventDefault(); submitTyped(); });
    window.addEventListener("online", function () { if (retryTimer) pump(); });

    (document.body || document.documentElement).appendChild(ui.root);
  }

  function updatePhone() {
    var phone = config.phone;
    ui.call.setAttribute("href", "tel:" + phone.tel);
    ui.call.textContent = "";
    ui.call.appendChild(document.createTextNode(t("call", { phone: phone.display })));
    ui.call.appendChild(srOnly(t("callDigits", { digits: phone.digits })));
  }

  function labelLanguageToggle() {
    var other = otherLanguage();
    var strings = STRINGS[other];
    ui.lang.textContent = "";
    ui.lang.appendChild(el("span", { className: "cc-lang-text", lang: other }, [
      strings.languageName,
      el("span", { className: "cc-sr-only", text: strings.languageSwitch }),
    ]));
  }

  // The patient used the toggle: the UI switches at once, the choice is kept for the session
  // and goes to the server with the next message.
  function chooseLanguage(code) {
    if (!knownLanguage(code)) return;
    try { window.sessionStorage.setItem(LANG_KEY, code); } catch (e) { /* storage off */ }
    storeChoice(code);
    setLanguage(code);
    tr(ui.notice, "text", "languageNow");
  }

  // Relabels everything the widget wrote from the string table; messages keep their own lang.
  function setLanguage(code) {
    uiLang = code;
    ui.root.setAttribute("lang", code);
    labelLanguageToggle();
    Array.prototype.forEach.call(ui.root.querySelectorAll("[data-cc-i18n]"), function (node) {
      Object.keys(node.ccLabels || {}).forEach(function (attr) {
        var label = node.ccLabels[attr];
        tr(node, attr, label.key, label.args);
      });
    });
    Array.prototype.forEach.call(ui.root.querySelectorAll("[data-cc-ui-lang]"), function (node) {
      node.setAttribute("lang", code);
    });
    Array.prototype.forEach.call(ui.root.querySelectorAll("time.cc-time"), function (node) {
      var date = new Date(node.getAttribute("datetime"));
      if (!isNaN(date.getTime())) node.textContent = formatTime(date);
    });
    updatePhone();
    updateCounter();
    var lead = ui.status.getAttribute("data-lead");
    if (lead) { ui.status.removeAttribute("data-lead"); setStatus(lead); }
    if (ui.typing.firstChild) { setTyping(false); setTyping(true); }
    if (ui.emergency.firstChild) { ui.emergency.textContent = ""; showEmergency(); }
  }

  function autoGrow() {
    ui.input.style.height = "auto";
    ui.input.style.height = ui.input.scrollHeight + "px"; // capped by max-height in the CSS
  }

  function updateCounter() {
    var max = config.maxChars;
    var used = ui.input.value.length;
    var left = max - used;
    var near = used >= Math.floor(max * COUNTER_FROM);
    ui.counter.textContent = near ? t("counter", { used: used, max: max }) : "";
    ui.counter.classList.toggle("cc-counter--limit", left <= 0);
    // Screen readers hear the count only at a few steps, not on every keystroke.
    var note = "";
    if (near) note = left <= 0 ? t("limitReached") : left <= 20 ? t("charactersLeft", { count: left }) :
      left <= 50 ? t("charactersLeft", { count: 50 }) : left <= 100 ? t("charactersLeft", { count: 100 }) :
      t("nearLimit");
    if (note !== lastCounterNote) ui.counterNote.textContent = lastCounterNote = note;
  }

  function setSendEnabled(enabled) {
    ui.send.setAttribute("aria-disabled", enabled ? "false" : "true");
    ui.form.classList.toggle("cc-busy", !enabled);
  }

  function scrollToEnd() {
    ui.intro.hidden = ui.log.childElementCount > 0;
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // A long answer is shown from its first line (not scrolled past it to the buttons).
  function scrollToReply(first) {
    scrollToEnd();
    if (!first) return;
    var overshoot = first.getBoundingClientRect().top - ui.log.getBoundingClientRect().top;
    if (overshoot < 0) ui.log.scrollTop += overshoot - 8;
  }

  // ---------------------------------------------------------------- open / close
  function isOpen() {
    return !ui.panel.hidden;
  }

  function open(options) {
    if (!ui.panel) return;
    ui.panel.hidden = false;
    ui.root.classList.add("cc-open");
    ui.toggle.setAttribute("aria-expanded", "true");
    tr(ui.toggle, "aria-label", "closeChat");
    storeOpen(true);
    scrollToEnd();
    if (!(options && options.restore)) ui.input.focus(); // a restored panel does not steal focus
  }

  function close() {
    if (!ui.panel || !isOpen()) return;
    ui.panel.hidden = true;
    ui.root.classList.remove("cc-open");
    ui.toggle.setAttribute("aria-expanded", "false");
    tr(ui.toggle, "aria-label", "openChat");
    storeOpen(false);
    ui.toggle.focus();
  }

  // ---------------------------------------------------------------- messages
  function addMessage(message, options) {
    var isUser = message.role === "user";
    // A patient's message: the UI language when sent; a bot's: what the server says it is in.
    var lang = knownLanguage(message.language) || (isUser ? uiLang : "en");
    var buttons = (!isUser && Array.isArray(message.buttons)) ? message.buttons : [];
    if (!isUser && !message.text && !buttons.length) return null;
    var body = el("div", { className: "cc-text", lang: lang });
    if (isUser) body.textContent = message.text || "";
    else if (message.text) body.appendChild((render || plainRenderer)(message.text));

    var item = el("div", {
      className: "cc-msg " + (isUser ? "cc-msg--user" : "cc-msg--bot"),
      "data-role": isUser ? "user" : "bot",
      "data-testid": "cc-message",
    }, [
      el("div", { className: "cc-bubble", lang: lang }, [uiText("cc-sr-only", isUser ? "youSaid" : "assistantSaid"), body]),
    ]);
    if (buttons.length) item.appendChild(quickReplies(buttons, options && options.live, lang));
    if (!isUser && message.rateable === true && message.kb_entry && typeof message.timestamp === "number") {
      item.appendChild(ratingBar(message));
    }
    item.appendChild(timeElement(message.timestamp));
    if (message.client_id) item.setAttribute("data-client-id", message.client_id);
    ui.log.appendChild(item);
    if (!isUser && message.emergency) showEmergency();
    return item;
  }

  // The group's label is UI text; the buttons' titles are in the message's language.
  function quickReplies(buttons, live, lang) {
    var group = el("div", { className: "cc-quick-replies", role: "group", t: { "aria-label": "suggestedReplies" } });
    buttons.forEach(function (b) {
      if (!b || typeof b.payload !== "string") return;
      var title = typeof b.title === "string" && b.title ? b.title : b.payload;
      var button = el("button", {
        type: "button", className: "cc-quick-reply", "data-testid": "cc-quick-reply",
        "aria-disabled": live ? "false" : "true", text: title, lang: lang,
      });
      button.addEventListener("click", function () {
        if (button.getAttribute("aria-disabled") === "true" || pending) return;
        button.classList.add("cc-quick-reply--chosen");
        send(b.payload, title);
      });
      group.appendChild(button);
    });
    return group;
  }

  // ---------------------------------------------------------------- rating an answer
  var THUMB = '<svg class="cc-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">' +
    '<path d="M7 11v9H4v-9h3zm2 9h8.2a2 2 0 0 0 2-1.6l1.2-6A2 2 0 0 0 18.4 10H14l.7-3.6A1.6 1.6 0 0 0 ' +
    '13.1 4.5L9 10v10z"/></svg>';

  // "Helpful" / "Not helpful" under an answer. The answer is named by its knowledge entry and
  // timestamp; the server answers with the timestamp it holds for the answer, used from then on.
  function ratingBar(message) {
    var answer = { kb_entry: message.kb_entry, timestamp: message.timestamp };
    var bar = el("div", { className: "cc-rate", "data-testid": "cc-rate" });
    var group = el("div", { className: "cc-rate-row", role: "group", t: { "aria-label": "ratePrompt" } }, [
      el("span", { className: "cc-rate-prompt", "aria-hidden": "true", t: { text: "ratePrompt" } }),
    ]);
    var note = el("p", { className: "cc-rate-note", role: "status", "data-testid": "cc-rate-note" });
    var buttons = {};
    var form = null;
    var busy = false;
    Object.keys(RATED).forEach(function (rating) {
      var button = el("button", {
        type: "button", className: "cc-rate-button cc-rate-button--" + rating.replace("_", "-"),
        t: { "aria-label": RATED[rating], title: RATED[rating] }, "aria-pressed": "false",
        "data-testid": "cc-rate-" + rating.replace("_", "-"),
      });
      button.innerHTML = THUMB; // static, trusted icon; the label is in aria-label
      button.addEventListener("click", function () { rate(rating, undefined); });
      buttons[rating] = button;
      group.appendChild(button);
    });
    bar.appendChild(group);
    bar.appendChild(note);
    if (RATED[message.feedback]) show(message.feedback);

    function show(rating) {
      Object.keys(buttons).forEach(function (name) {
        buttons[name].setAttribute("aria-pressed", name === rating ? "true" : "false");
      });
      bar.setAttribute("data-rating", rating || "");
    }

    function closeForm() {
      if (form && form.parentNode) form.parentNode.removeChild(form);
      form = null;
    }

    function rate(rating, comment) {
      if (busy) return;
      busy = true;
      var body = { kb_entry: answer.kb_entry, timestamp: answer.timestamp, rating: rating };
      if (comment) body.comment = comment;
      var before = bar.getAttribute("data-rating");
      show(rating);
      setNote(note, "");
      api("POST", "/feedback", body).then(function (data) {
        busy = false;
        if (typeof data.timestamp === "number") answer.timestamp = data.timestamp;
        if (rating === "not_helpful" && comment === undefined && !form) openForm();
        else { closeForm(); setNote(note, "rateThanks"); }
      }, function () {
        busy = false;
        show(before);
        setNote(note, "rateFailed");
      });
    }

    function openForm() {
      var id = "cc-comment-" + uuid4();
      var box = el("textarea", {
        id: id, className: "cc-comment", "data-testid": "cc-feedback-comment", rows: "2",
        maxlength: String(COMMENT_MAX), autocomplete: "off",
      });
      var send = el("button", { type: "submit", className: "cc-comment-send", "data-testid": "cc-feedback-send", t: { text: "commentSend" } });
      var skip = el("button", { type: "button", className: "cc-comment-skip", "data-testid": "cc-feedback-skip", t: { text: "commentSkip" } });
      form = el("form", { className: "cc-comment-form", novalidate: "" }, [
        el("label", { for: id, className: "cc-comment-label", t: { text: "commentLabel" } }),
        box,
        el("div", { className: "cc-comment-actions" }, [send, skip]),
      ]);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var text = box.value.trim().slice(0, COMMENT_MAX);
        if (text) rate("not_helpful", text);
        else { closeForm(); setNote(note, "rateThanks"); }
      });
      skip.addEventListener("click", function () {
        closeForm();
        setNote(note, "rateThanks");
        buttons.not_helpful.focus();
      });
      box.addEventListener("keydown", function (event) {
        if (event.key === "Escape" || event.key === "Esc") { event.preventDefault(); event.stopPropagation(); skip.click(); }
      });
      bar.insertBefore(form, note);
      box.focus();
    }

    return bar;
  }

  function disableQuickReplies() {
    Array.prototype.forEach.call(ui.log.querySelectorAll(".cc-quick-reply"), function (b) {
      b.setAttribute("aria-disabled", "true");
    });
  }

  function showEmergency() {
    if (ui.emergency.firstChild) return; // once shown it stays
    ui.emergency.appendChild(el("p", {}, [
      el("strong", { text: t("emergencyLead") }),
      telLink("911", t("emergencyCall"), "cc-tel cc-tel--emergency"),
      el("strong", { text: t("emergencyEnd") }),
    ]));
  }

  // lead: the key of the status line's first sentence ("unreachable", ...), or "" to clear it.
  function setStatus(lead) {
    if (!lead) { ui.status.textContent = ""; ui.status.removeAttribute("data-lead"); return; }
    if (ui.status.getAttribute("data-lead") === lead) return; // shown: do not re-announce every retry
    ui.status.textContent = "";
    ui.status.setAttribute("data-lead", lead);
    var p = config.phone;
    var link = telLink(p.tel, t("statusCall"), "cc-status-link");
    link.appendChild(el("span", { className: "cc-nowrap", text: p.display }));
    link.appendChild(document.createTextNode(" "));
    link.appendChild(el("span", { className: "cc-nowrap", text: t("statusDigits", { digits: p.digits }) }));
    ui.status.appendChild(el("p", {}, [t(lead), link, t("statusEnd")]));
    scrollToEnd(); // the log just got shorter: keep the latest message in view
  }

  function setTyping(on) {
    if (on && !ui.typing.firstChild) {
      ui.typing.appendChild(el("p", {}, [
        t("typing"),
        el("span", { className: "cc-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
      ]));
      scrollToEnd();
    } else if (!on) ui.typing.textContent = "";
  }

  // The conversation from GET /history. A button click is shown by its title: the server stores
  // the title, and if it ever gives the payload back the previous bot buttons translate it.
  function renderHistory(messages) {
    ui.log.textContent = "";
    var lastUser = -1;
    messages.forEach(function (m, i) { if (m && m.role === "user") lastUser = i; });
    var titles = {};
    messages.forEach(function (m, i) {
      if (!m || (m.role !== "user" && m.role !== "bot")) return;
      if (m.role === "user" && titles[m.text]) m = Object.assign({}, m, { text: titles[m.text] });
      if (m.role === "bot" && m.buttons && m.buttons.length) {
        titles = {};
        m.buttons.forEach(function (b) { if (b && b.title) titles[b.payload] = b.title; });
      }
      addMessage(m, { live: i > lastUser }); // only the latest bot turn's buttons are usable
    });
    if (pending) {
      var done = messages.some(function (m) { return m && m.client_id === pending.clientId; });
      if (done) finishPending(); // the server already has it (and its replies are in the history)
      else ui.log.appendChild(pending.el);
    }
    scrollToEnd();
  }

  // ---------------------------------------------------------------- sending
  function submitTyped() {
    if (send(ui.input.value, null)) {
      ui.input.value = "";
      autoGrow();
      updateCounter();
    }
    ui.input.focus();
  }

  // Returns true when the message was accepted for sending.
  function send(text, title) {
    text = typeof text === "string" ? text.trim() : "";
    if (!text || pending) return false; // empty, or a send is already in flight
    if (!title && text.length > config.maxChars) return false;
    disableQuickReplies();
    setNote(ui.notice, "");
    var clientId = uuid4();
    var item = addMessage({
      role: "user", text: title || text, timestamp: Date.now() / 1000, client_id: clientId, language: uiLang,
    });
    // A retry sends the same body: the languages are fixed here, and the choice goes out once.
    pending = { text: text, title: title, clientId: clientId, el: item, language: uiLang, choice: languageChoice };
    storeChoice(null);
    setSendEnabled(false);
    scrollToEnd();
    ui.input.focus();
    pump();
    return true;
  }

  function finishPending() {
    pending = null;
    setTyping(false);
    setSendEnabled(true);
  }

  // ---------------------------------------------------------------- server calls
  function RequestError(message, retry) {
    this.message = message;
    this.retry = retry; // transient: try again with backoff
  }

  function api(method, path, body) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    var init = { method: method, credentials: "include", headers: { Accept: "application/json" } };
    if (controller) init.signal = controller.signal;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(BASE + path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        clearTimeout(timer);
        if (response.ok) return data || {};
        var status = response.status;
        if (status === 401) sessionReady = false; // get a new session, then try again
        var retry = status === 401 || status === 408 || status === 429 || status >= 500;
        var error = new RequestError(path + " answered " + status, retry);
        if (status === 429) {
          var seconds = parseInt(response.headers.get("Retry-After") || "", 10);
          error.waitMs = seconds > 0 ? Math.min(seconds * 1000, RETRY_AFTER_MAX_MS) : 0;
        }
        throw error;
      });
    }, function (err) {
      clearTimeout(timer);
      throw new RequestError(path + ": " + (err && err.message), true); // network down, timeout
    });
  }

  function startSession(mine) {
    return api("POST", "/session", {}).then(function (data) {
      var max = parseInt(data.max_chars, 10);
      if (max > 0) {
        config.maxChars = max;
        ui.input.setAttribute("maxlength", String(max));
      }
      var phone = data.phone;
      if (phone && phone.tel && phone.display) {
        config.phone = {
          display: String(phone.display),
          digits: String(phone.digits || phone.display),
          tel: String(phone.tel).replace(/[^+\d]/g, ""),
        };
        updatePhone();
      }
      updateCounter();
      if (mine === epoch) sessionReady = true;
    }, function (err) {
      throw retryable(err); // whatever went wrong, keep trying /session
    });
  }

  function retryable(err) {
    var again = new RequestError(err.message, true);
    again.waitMs = err.waitMs;
    return again;
  }

  function loadHistory(mine) {
    return api("GET", "/history").then(function (history) {
      if (mine !== epoch) return; // "End chat" meanwhile: that conversation is not shown
      historyLoaded = true;
      renderHistory(Array.isArray(history.messages) ? history.messages : []);
    });
  }

  function endSession() {
    return api("POST", "/end", {}).then(function () { setEnding(false); }, function (err) {
      throw retryable(err); // until the server forgets the session, keep asking
    });
  }

  // "End chat": the server clears the session cookie (the conversation stays on the server for
  // the care team); here the shown conversation, the pending message and stored state go.
  function endChat() {
    epoch += 1;
    clearTimeout(retryTimer);
    retryTimer = null;
    pending = null;
    sessionReady = false;
    historyLoaded = false;
    dormant = true;
    failures = 0;
    retryDelay = RETRY_FIRST_MS;
    setTyping(false);
    setSendEnabled(true);
    setStatus("");
    ui.log.textContent = "";
    ui.emergency.textContent = "";
    ui.input.value = "";
    autoGrow();
    updateCounter();
    forgetStoredState();
    setEnding(true);
    setNote(ui.notice, "chatEnded");
    scrollToEnd();
    ui.input.focus();
    pump();
  }

  function deliver(message) {
    var body = { text: message.text, client_id: message.clientId, page_language: message.language };
    if (message.title) body.title = message.title;
    if (message.choice) body.language_choice = message.choice;
    if (failures === 0) setTyping(true);
    return api("POST", "/message", body).then(function (data) {
      if (pending !== message) return; // settled meanwhile (e.g. found in the history)
      finishPending();
      disableQuickReplies();
      var first = null;
      (Array.isArray(data.messages) ? data.messages : []).forEach(function (m) {
        var el = addMessage(Object.assign({}, m, { role: "bot" }), { live: true });
        first = first || el;
      });
      scrollToReply(first);
    });
  }

  // Brings the client up to date with the server: a pending "End chat" first, then session
  // (+ history once), then the pending message. On a transient failure it schedules itself
  // again with backoff.
  function pump() {
    if (pumping) return;
    clearTimeout(retryTimer);
    retryTimer = null;
    pumping = true;
    var mine = epoch;
    (ending ? endSession() : Promise.resolve()).then(function () {
      if (dormant && !pending) return null; // ended: the next message opens a new session
      dormant = false;
      return (sessionReady ? Promise.resolve() : startSession(mine)).then(function () {
        return historyLoaded ? null : loadHistory(mine);
      }).then(function () {
        return pending ? deliver(pending) : null;
      });
    }).then(function () {
      pumping = false;
      if (mine !== epoch) { pump(); return; } // "End chat" meanwhile: carry that out
      failures = 0;
      retryDelay = RETRY_FIRST_MS;
      setStatus("");
      // Something was queued meanwhile.
      if (ending || pending || (!dormant && (!sessionReady || !historyLoaded))) pump();
    }, function (err) {
      pumping = false;
      if (mine !== epoch) { pump(); return; }
      failures += 1;
      setTyping(false);
      if (err && err.retry === false) {
        // 400/403/413: this message cannot be delivered; let the patient try again or call.
        setStatus("notSentStatus");
        if (pending) {
          pending.el.classList.add("cc-msg--failed");
          pending.el.appendChild(el("p", { className: "cc-failed", t: { text: "notSent" } }));
          if (pending.choice && !languageChoice) storeChoice(pending.choice); // for the next one
          finishPending();
        }
        return;
      }
      setStatus(err && err.waitMs !== undefined ? "slowDown" : "unreachable");
      retryTimer = setTimeout(pump, Math.max(retryDelay, (err && err.waitMs) || 0));
      retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
    });
  }

  // ---------------------------------------------------------------- start
  function start() {
    ending = storedEnding();
    uiLang = initialLanguage();
    languageChoice = storedChoice();
    build();
    setSendEnabled(true);
    var css = loadCss(BASE + "/widget.css");
    var libs = Promise.all([
      loadLibrary(BASE + "/vendor/marked.min.js", "marked"),
      loadLibrary(BASE + "/vendor/purify.min.js", "DOMPurify"),
    ]).then(function (found) {
      render = makeRenderer(found[0], found[1]);
    }, function () { /* bot text falls back to plain text */ });
    css.then(function () {
      ui.root.hidden = false;
      if (openRequested) open();
      else if (storedOpen()) open({ restore: true });
    });
    // History is rendered only after the markdown libraries are ready (or have failed).
    libs.then(pump);
  }

  var openRequested = false; // CedarsChat.open() called before the widget was built

  window.CedarsChat = Object.freeze({
    open: function () {
      if (!ui.root) { openRequested = true; return; }
      ui.root.hidden = false;
      open();
    },
    close: function () { openRequested = false; close(); },
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
