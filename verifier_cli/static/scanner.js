// The checkpoint page: camera frames and handheld-scanner text go to this machine's
// vaxcert-verify process, which answers with a verdict ready to show.  Nothing about a
// person is kept: the verdict on screen is replaced by the next scan or cleared after a minute.
"use strict";
(() => {
  const CLEAR_AFTER_MS = 60000;
  const FORGET_AFTER_MS = 5000;
  const FRAME_WIDTH = 800;
  const $ = (id) => document.getElementById(id);
  const verdictBox = $("verdict"), input = $("code"), video = $("video"), canvas = $("frame");
  let texts = null;          // the page's sentences in the chosen language, from the server (verifier_cli/scanner_text.py)
  const readyText = verdictBox.textContent.trim();  // the server wrote it into the page in that language
  let shownScan = "";        // id of the camera code on screen, so it is not verified again
  let clearTimer = 0, cameraOn = false, busy = false;
  let chunks = new Map(), chunkTotal = 0;
  const timings = [];        // frame grabbed -> verdict painted, ms (read by the benchmark)

  function el(tag, cls, children) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    for (const child of children || []) node.append(child);
    return node;
  }
  const painted = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

  function showIdle() {
    verdictBox.className = "verdict idle";
    verdictBox.replaceChildren(
      el("p", "headline", [texts ? texts.ready : readyText]));
  }
  // "Next scan" while the last code is still in front of the camera must not bring its holder
  // back: its id is kept a few seconds longer (the benchmark forgets it at once).
  function clearVerdict(forget) {
    clearTimeout(clearTimer);
    if (forget === true) shownScan = "";
    else { const kept = shownScan; setTimeout(() => { if (shownScan === kept) shownScan = ""; }, FORGET_AFTER_MS); }
    chunks = new Map(); chunkTotal = 0;
    $("chunks").hidden = true;
    showIdle();
    input.value = "";
    input.focus();
  }

  function showVerdict(v) {
    clearTimeout(clearTimer);
    const parts = [el("p", "headline", [v.headline])];
    if (v.reason) parts.push(el("p", "reason", [v.reason]));
    for (const w of v.warnings) parts.push(el("p", "warning", ["⚠ ", w]));
    if (v.untrusted) parts.push(el("p", "untrusted", [v.untrusted]));
    if (v.holder) {
      parts.push(el("p", "name", [v.holder.name]));
    }
    const dl = el("dl");
    const row = (label, value) => dl.append(el("dt", "", [label]), el("dd", "", [value]));
    if (v.holder) row(texts.born, v.holder.birth_date);
    for (const e of v.events) {
      const value = document.createDocumentFragment();
      value.append(e.details);
      if (e.result) { value.append(" — "); value.append(e.result); }
      row(e.type, value);
    }
    row(texts.format, v.format);
    parts.push(dl);
    if (v.code) parts.push(el("p", "technical", [`${v.code}: ${v.message || ""}`]));
    verdictBox.className = `verdict ${v.tone}`;
    verdictBox.dataset.status = v.status;
    verdictBox.replaceChildren(...parts);
    clearTimer = setTimeout(() => clearVerdict(true), CLEAR_AFTER_MS);
    refreshStatus();
  }

  async function post(path, body, headers) {
    const response = await fetch(path, { method: "POST", body, headers: headers || {}, cache: "no-store" });
    return response.json();
  }

  // A chunked SMART Health Card arrives one part per scan: gather, then verify all together.
  async function handleChunk(text) {
    const match = /^shc:\/(\d+)\/(\d+)\//i.exec(text.trim());
    if (!match) return null;
    const [index, total] = [Number(match[1]), Number(match[2])];
    if (total !== chunkTotal) { chunks = new Map(); chunkTotal = total; }
    chunks.set(index, text.trim());
    if (chunks.size < total) {
      $("chunks").replaceChildren(texts.chunks.replace("{have}", chunks.size).replace("{total}", total));
      $("chunks").hidden = false;
      return { found: false };
    }
    const all = [...chunks.values()].join("\n");
    chunks = new Map(); chunkTotal = 0;
    $("chunks").hidden = true;
    return post("/api/verify", all);
  }

  async function submitText(text) {
    if (!text.trim()) return;
    shownScan = "";
    const answer = (await handleChunk(text)) || (await post("/api/verify", text));
    if (answer.verdict) { showVerdict(answer.verdict); await painted(); }
  }

  $("wedge").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = "";   // the code leaves the page as soon as it is sent
    await submitText(text);
    input.focus();
  });
  $("next").addEventListener("click", () => clearVerdict(false));
  // A keyboard-wedge scanner types wherever the focus is: keep it on the input.
  document.addEventListener("keydown", (event) => {
    if (document.activeElement !== input && event.key.length === 1 && !event.ctrlKey && !event.metaKey) input.focus();
  });

  async function grab() {
    const scale = Math.min(1, FRAME_WIDTH / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  }

  async function cameraLoop() {
    while (cameraOn) {
      if (busy || video.readyState < 2 || !video.videoWidth) { await new Promise((r) => setTimeout(r, 50)); continue; }
      busy = true;
      try {
        const started = performance.now();
        const frame = await grab();
        const answer = await post("/api/frame", frame, { "Content-Type": "image/jpeg", "X-Shown-Scan": shownScan });
        if (answer.chunk) {
          const combined = await handleChunk(answer.chunk);
          if (combined && combined.verdict) { showVerdict(combined.verdict); await painted(); }
          await new Promise((r) => setTimeout(r, 400));  // give the officer time to show the next part
        } else if (answer.verdict) {
          showVerdict(answer.verdict);
          shownScan = answer.scan_id;
          await painted();
          timings.push(performance.now() - started);
        } else {
          await new Promise((r) => setTimeout(r, answer.same ? 250 : 20));
        }
      } catch (error) {
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        busy = false;
      }
    }
  }

  async function startCamera() {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      video.srcObject = stream;
      await video.play();
      cameraOn = true;
      $("camera-state").replaceChildren(texts.camera_on);
      $("camera-button").hidden = true;
      cameraLoop();
    } catch (error) {
      $("camera-state").replaceChildren(texts.camera_failed);
    }
  }
  $("camera-button").addEventListener("click", startCamera);

  async function refreshStatus() {
    const status = await (await fetch("/api/status", { cache: "no-store" })).json();
    texts = status.texts;
    $("lists").replaceChildren(...status.lists.map((l) => {
      // A list in trouble gets a short label here; the alarm box above says it in full.
      const item = el("li", l.state, [l.name, ": ", l.state === "ok" ? l.detail : texts[l.state]]);
      item.dataset.state = l.state;
      return item;
    }));
    const alarms = status.lists.filter((l) => l.state !== "ok");
    $("alarm").hidden = alarms.length === 0;
    $("alarm").replaceChildren(...alarms.map((l) => el("div", "", ["⚠ ", l.detail])));
    $("counts").replaceChildren(status.counts_text);
  }

  window.vaxcertScanner = { timings, reset: () => clearVerdict(true), submit: submitText };
  setInterval(refreshStatus, 30000);  // list ages and staleness move on while the page stays open
  refreshStatus().then(() => {
    if (verdictBox.classList.contains("idle")) showIdle();
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) startCamera();
    else $("camera-state").replaceChildren(texts.camera_failed);
  });
})();
