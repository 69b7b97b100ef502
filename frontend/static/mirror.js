/* The mirror page: one WebSocket to the app (snapshot first, then one event
 * a message), reconnected with backoff. Every text goes in with
 * textContent (see render.js). Which update badges show is the server's
 * decision: the snapshot's `updates`, then each `updates` message. */
"use strict";

(() => {
  const TRANSCRIPT_MAX = 300;
  const NOTICES_MAX = 5;
  const { el } = Render;
  const $ = (id) => document.getElementById(id);

  const state = {
    mode: null,
    connection: { status: "disconnected", message: "" },
    voice: null,
    audio: null,
    jobs: new Map(),
    updates: [], // the badges to show, as the server sent them
    transcript: [],
    seenTurns: new Set(),
    partials: new Map(), // item_id -> partial assistant text
    display: null,
    dismissing: new Set(),
    campaigns: [], // each campaign's progress, newest first, as the server read it
  };

  // --- the state, from the server's snapshot and events ----------------------
  function turnKey(t) {
    return t.turn_id !== null && t.turn_id !== undefined ? `id:${t.turn_id}` : `ts:${t.ts}|${t.role}|${t.text}`;
  }

  function addTurn(t) {
    const key = turnKey(t);
    if (state.seenTurns.has(key)) return false; // a snapshot and its event can overlap
    state.seenTurns.add(key);
    state.transcript.push(t);
    if (state.transcript.length > TRANSCRIPT_MAX) state.seenTurns.delete(turnKey(state.transcript.shift()));
    return true;
  }

  function applySnapshot(s) {
    state.mode = s.mode;
    state.connection = s.connection || state.connection;
    state.voice = s.voice_state || null;
    state.audio = s.audio || null;
    state.jobs = new Map((s.jobs || []).map((j) => [j.id, j]));
    setUpdates(s.updates);
    state.transcript = [];
    state.seenTurns = new Set();
    state.partials = new Map();
    (s.transcript || []).forEach(addTurn);
    state.display = s.display || null;
    state.campaigns = Array.isArray(s.campaigns) ? s.campaigns : [];
    renderAll();
  }

  function setUpdates(updates) {
    state.updates = Array.isArray(updates) ? updates : [];
    const shown = new Set(state.updates.map((u) => u.job_id));
    state.dismissing.forEach((id) => { if (!shown.has(id)) state.dismissing.delete(id); });
  }

  const handlers = {
    snapshot: applySnapshot,
    mode(e) { state.mode = e.mode; renderHeader(); },
    connection_status(e) {
      state.connection = { status: e.status, message: e.message };
      renderBanner();
    },
    voice_state(e) { state.voice = e; renderHeader(); },
    audio_state(e) { state.audio = e; renderHeader(); },
    call_job_updated(e) {
      if (!e.job || e.job.id === undefined) return;
      state.jobs.set(e.job.id, e.job);
      renderJobs();
    },
    updates(e) {
      setUpdates(e.updates);
      renderBadges();
    },
    transcript_turn(e) {
      if (e.item_id) state.partials.delete(e.item_id);
      if (addTurn({ role: e.role, text: e.text, session_id: e.session_id, turn_id: e.turn_id, ts: e.ts })) {
        renderTranscript();
      }
    },
    transcript_delta(e) {
      state.partials.set(e.item_id, (state.partials.get(e.item_id) || "") + e.delta);
      renderTranscript();
    },
    display(e) {
      state.display = { kind: e.kind, title: e.title, content: e.content, ts: e.ts };
      renderDisplay();
    },
    notice(e) { addNotice(e.level, e.text); },
    campaigns_progress(e) {
      state.campaigns = Array.isArray(e.campaigns) ? e.campaigns : [];
      renderCampaigns();
    },
    campaign_changed(e) { // paused, resumed, cancelled here: its state at once, its counts with the next progress
      const known = state.campaigns.find((p) => p.campaign && e.campaign && p.campaign.id === e.campaign.id);
      if (!known) return;
      known.campaign = e.campaign;
      renderCampaigns();
    },
  };

  // --- rendering --------------------------------------------------------------
  function renderHeader() {
    $("sim-label").hidden = state.mode !== "simulate";
    const v = state.voice;
    const a = state.audio;
    const audio = a && a.mode ? ` \u00b7 ${a.mode === "voice" ? (a.muted ? "voice, muted" : "voice") : "typed text"}` : "";
    $("voice-state").textContent = v && v.state ? `assistant: ${v.state}${audio}` : "";
    $("voice-state").title = v && v.detail ? v.detail : "";
  }

  function renderBanner() {
    const banner = $("connection-banner");
    banner.hidden = state.connection.status === "connected";
    banner.title = state.connection.message || "";
  }

  function renderTranscript() {
    const list = $("transcript");
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 20;
    list.replaceChildren();
    const line = (role, text, extra) => {
      const li = el("li", `turn ${role}${extra || ""}`);
      li.appendChild(el("span", "role", role));
      li.appendChild(el("span", "text", text));
      list.appendChild(li);
    };
    state.transcript.forEach((t) => line(t.role, t.text));
    state.partials.forEach((text) => line("assistant", text, " partial"));
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function renderJobs() {
    const body = $("jobs").tBodies[0];
    body.replaceChildren();
    const jobs = Array.from(state.jobs.values()).sort((a, b) => b.id - a.id);
    jobs.forEach((j) => {
      const tr = el("tr");
      tr.dataset.jobId = String(j.id);
      const cell = (label, text, cls) => {
        const td = tr.appendChild(el("td", cls, text === null || text === undefined ? "" : text));
        td.dataset.label = label; // narrow screens show each row as a card of labelled lines
      };
      cell("#", j.id);
      cell("Contact", j.contact_name);
      cell("Phone", j.phone_number, "phone");
      cell("Status", j.overall_status, `status ${String(j.overall_status).replace(/[^A-Z_]/g, "")}`);
      cell("Retries", `${j.retries_attempted}/${j.max_retries}`);
      cell("Next try", nextTry(j));
      cell("Objective", j.current_call_objective_description, "long");
      cell("Outcome", j.final_summary_for_main_agent || "", "long");
      body.appendChild(tr);
    });
    $("jobs-empty").hidden = jobs.length > 0;
  }

  // as the console writes it: local time, the date too when not today; only while the job waits
  function nextTry(j) {
    if (!j.next_retry_at || (j.overall_status !== "PENDING" && j.overall_status !== "RETRY_SCHEDULED")) return "";
    const at = new Date(j.next_retry_at);
    if (Number.isNaN(at.getTime())) return "";
    const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    if (at.toDateString() === new Date().toDateString()) return time;
    return `${at.toLocaleDateString([], { month: "short", day: "2-digit" })} ${time.slice(0, 5)}`;
  }

  const STATUS_WORDS = {
    PENDING: "waiting", RETRY_SCHEDULED: "to retry", PROCESSING: "in a call", COMPLETED_SUCCESS: "succeeded",
    DECLINED: "declined", FAILED_MAX_RETRIES: "not reached", FAILED_ERROR: "failed", EXPIRED: "expired",
    CANCELLED: "cancelled",
  };

  function duration(s) {
    if (s < 90) return `${Math.max(1, Math.round(s))} s`;
    if (s < 5400) return `${Math.round(s / 60)} min`;
    return `${(s / 3600).toFixed(1)} h`;
  }

  function renderCampaigns() {
    const list = $("campaigns");
    list.replaceChildren();
    state.campaigns.forEach((p) => {
      const c = p.campaign || {};
      const li = el("li", "campaign");
      li.dataset.campaignId = String(c.id);
      const name = li.appendChild(el("div", "name", c.name));
      const status = String(c.status || "");
      name.appendChild(el("span", `state ${status.replace(/[^A-Z]/g, "")}`, status.toLowerCase()));
      const share = p.total ? Math.min(1, p.finished / p.total) : 0;
      const bar = li.appendChild(el("div", "bar"));
      bar.setAttribute("role", "progressbar");
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", String(p.total));
      bar.setAttribute("aria-valuenow", String(p.finished));
      bar.appendChild(el("div", "fill")).style.width = `${(share * 100).toFixed(1)}%`;
      const rate = p.success_rate === null || p.success_rate === undefined ? "\u2014" : `${Math.round(p.success_rate * 100)}%`;
      const live = status === "ACTIVE" || status === "PAUSED";
      const left = live && p.time_left_s ? ` \u00b7 about ${duration(p.time_left_s)} left` : "";
      li.appendChild(el("div", "figures",
        `${p.finished}/${p.total} done (${Math.round(share * 100)}%) \u00b7 success ${rate} \u00b7 $${Number(p.cost_usd).toFixed(2)}${left}`));
      const counts = Object.keys(STATUS_WORDS).filter((k) => p.counts && p.counts[k])
        .map((k) => `${p.counts[k]} ${STATUS_WORDS[k]}`).join(" \u00b7 ");
      li.appendChild(el("div", "counts", counts || "no jobs"));
      list.appendChild(li);
    });
    $("campaigns-pane").hidden = state.campaigns.length === 0;
  }

  function renderBadges() {
    const box = $("update-badges");
    box.replaceChildren();
    state.updates.forEach((b) => {
      const badge = el("div", `badge ${String(b.outcome).replace(/[^a-z]/g, "")}`);
      badge.dataset.jobId = String(b.job_id);
      const text = badge.appendChild(el("div", "badge-text"));
      text.appendChild(el("div", "title", `Update on call to ${b.contact_name} available`));
      if (b.status_summary) text.appendChild(el("div", "summary", b.status_summary));
      const button = badge.appendChild(el("button", "dismiss", "\u00d7"));
      button.type = "button";
      button.title = "Dismiss";
      button.setAttribute("aria-label", `Dismiss the update on ${b.contact_name}`);
      button.disabled = state.dismissing.has(b.job_id);
      button.addEventListener("click", () => dismiss(b.job_id));
      box.appendChild(badge);
    });
  }

  function renderDisplay() {
    const pane = $("display");
    pane.replaceChildren();
    if (!state.display) pane.appendChild(el("p", "empty", "Nothing shown yet."));
    else pane.appendChild(Render.display(state.display));
  }

  function addNotice(level, text) {
    const list = $("notices");
    list.appendChild(el("li", String(level).replace(/[^a-z]/g, ""), text));
    while (list.children.length > NOTICES_MAX) list.removeChild(list.firstChild);
  }

  function renderAll() {
    renderHeader();
    renderBanner();
    renderTranscript();
    renderJobs();
    renderBadges();
    renderDisplay();
    renderCampaigns();
  }

  // --- dismiss: POST, then the server's next badge list leaves it out --------
  async function dismiss(jobId) {
    state.dismissing.add(jobId);
    renderBadges();
    try {
      const res = await fetch(`/api/updates/${jobId}/dismiss`, { method: "POST", credentials: "same-origin" });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      state.dismissing.delete(jobId);
      addNotice("error", `Could not dismiss the update: ${err.message}`);
      renderBadges();
    }
  }

  // --- the page's own connection to the mirror, with backoff -----------------
  let attempt = 0;
  let socket = null;

  function showMirror(kind, text) {
    document.body.dataset.mirror = kind;
    const status = $("mirror-status");
    status.hidden = kind === "live";
    status.className = `mirror-status ${kind}`;
    status.textContent = text || "";
  }

  function retryLater(reason) {
    attempt += 1;
    const delay = Math.min(10, 0.5 * 2 ** Math.min(attempt - 1, 5)) * (0.8 + Math.random() * 0.4);
    if (reason === "unauthorized") {
      showMirror("unauthorized", "Not signed in: open the link the console shows (it carries the token).");
    } else {
      showMirror("reconnecting", `Mirror connection lost \u2014 reconnecting in ${delay.toFixed(1)} s (attempt ${attempt})\u2026`);
    }
    setTimeout(connect, delay * 1000);
  }

  async function connect() {
    try {
      const res = await fetch("/api/state", { cache: "no-store", credentials: "same-origin" });
      if (res.status === 401 || res.status === 403) return retryLater("unauthorized");
      if (!res.ok) return retryLater("error");
    } catch (err) {
      return retryLater("offline");
    }
    const proto = window.location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(`${proto}${window.location.host}/ws`);
    socket = ws;
    let opened = false;
    ws.onmessage = (msg) => {
      let event;
      try {
        event = JSON.parse(msg.data);
      } catch (err) {
        console.error("mirror: not JSON", err);
        return;
      }
      if (event.type === "snapshot") {
        opened = true;
        attempt = 0;
        showMirror("live");
      }
      const handle = handlers[event.type];
      if (handle) handle(event);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      retryLater(opened ? "closed" : "error");
    };
    ws.onerror = () => ws.close();
  }

  showMirror("connecting", "Connecting to the mirror\u2026");
  renderAll();
  connect();
})();
