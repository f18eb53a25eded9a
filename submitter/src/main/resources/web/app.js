// The transcription page: upload one file to /transcribe/async, follow /status/{id}, then show
// the transcript from result.json, play the picked file locally, and offer the result files.
// Plain browser JavaScript, no build step; it only sets textContent (never HTML), so the page's
// Content-Security-Policy can require Trusted Types.
'use strict';

(() => {
  const POLL_MS = 1000;
  const MAX_POLL_FAILURES = 5;

  const el = (id) => document.getElementById(id);
  const form = el('upload-form');
  const dropZone = el('drop-zone');
  const fileInput = el('file');
  const fileName = el('file-name');
  const submit = el('submit');
  const errorBox = el('error');
  const progress = el('progress');
  const uploadBar = el('upload-progress');
  const uploadText = el('upload-text');
  const jobBar = el('job-progress');
  const jobText = el('job-text');
  const jobIdText = el('job-id');
  const result = el('result');
  const player = el('player');
  const segmentList = el('segments');

  let file = null; // the picked File
  let fileUrl = null; // a local object URL of it, for the player
  let jobId = null;
  let busy = false;

  // --- picking a file: the input, or a drop anywhere on the drop zone ---

  fileInput.addEventListener('change', () => pick(fileInput.files[0] || null));

  dropZone.addEventListener('dragover', (e) => {
    e.preventDefault();
    dropZone.classList.add('dragging');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
  dropZone.addEventListener('drop', (e) => {
    e.preventDefault();
    dropZone.classList.remove('dragging');
    const dropped = e.dataTransfer && e.dataTransfer.files[0];
    if (dropped) {
      pick(dropped);
    }
  });

  function pick(picked) {
    if (busy) {
      return;
    }
    file = picked;
    if (fileUrl) {
      URL.revokeObjectURL(fileUrl);
      fileUrl = null;
    }
    clearError();
    result.hidden = true;
    progress.hidden = true;
    fileName.textContent = file ? `${file.name} (${size(file.size)})` : '';
    if (file) {
      fileUrl = URL.createObjectURL(file);
    }
  }

  // --- uploading: multipart POST with the options as form fields, upload progress from XHR ---

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (busy) {
      return;
    }
    clearError();
    if (!file) {
      showError('Choose an audio or video file first.');
      return;
    }
    const segment = el('segment-duration').value.trim();
    if (segment !== '' && !/^\d+$/.test(segment)) {
      showError('The segment length must be a whole number of seconds, from 1 to 300.');
      return;
    }
    const body = new FormData();
    const s2t = el('s2t').value;
    if (s2t !== '') {
      body.append('s2t', s2t);
    }
    if (segment !== '') {
      body.append('segment_duration', segment);
    }
    const prompt = el('prompt').value.trim();
    if (prompt !== '') {
      body.append('prompt', prompt);
    }
    body.append('file', file, file.name);
    upload(body);
  });

  function upload(body) {
    setBusy(true);
    jobId = null;
    result.hidden = true;
    progress.hidden = false;
    uploadBar.value = 0;
    uploadText.textContent = 'starting';
    jobBar.value = 0;
    jobText.textContent = '';
    jobIdText.textContent = '';

    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/transcribe/async');
    authorize((name, value) => xhr.setRequestHeader(name, value));
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && e.total > 0) {
        uploadBar.value = Math.round((100 * e.loaded) / e.total);
        uploadText.textContent = `${size(e.loaded)} of ${size(e.total)}`;
      }
    });
    xhr.upload.addEventListener('load', () => {
      uploadBar.value = 100;
      uploadText.textContent = 'checking the file';
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 202) {
        const answer = parseJson(xhr.responseText);
        uploadBar.value = 100;
        uploadText.textContent = 'done';
        jobId = answer && answer.job_id;
        jobIdText.textContent = jobId || '';
        jobText.textContent = 'queued';
        jobBar.removeAttribute('value'); // indeterminate until the server reports segments
        poll(jobId, 0);
      } else {
        uploadText.textContent = 'refused';
        failed(describe(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After')));
      }
    });
    xhr.addEventListener('error', () => {
      uploadText.textContent = 'interrupted';
      failed(
        'The upload did not reach the server: the file may be larger than the server accepts, ' +
          'or the connection was lost.'
      );
    });
    xhr.send(body);
  }

  // --- following the job: GET /status/{id} until completed or failed ---

  function poll(id, failures) {
    fetch(`/status/${encodeURIComponent(id)}`, { headers: headers(), cache: 'no-store' })
      .then(async (r) => {
        const text = await r.text();
        if (!r.ok) {
          failed(describe(r.status, text, r.headers.get('Retry-After')));
          return;
        }
        const status = parseJson(text) || {};
        const p = status.progress || {};
        if (status.status === 'completed') {
          jobBar.value = 100;
          jobText.textContent = status.cached ? 'done (answered from an earlier result)' : 'done';
          showResult(id);
        } else if (status.status === 'failed') {
          jobText.textContent = 'failed';
          failed(`The transcription failed: ${status.error || 'the server gave no reason'}.`);
        } else {
          if (p.percent !== null && p.percent !== undefined) {
            jobBar.value = p.percent;
          } else {
            jobBar.removeAttribute('value');
          }
          jobText.textContent = stageText(status.stage, p);
          setTimeout(() => poll(id, 0), POLL_MS);
        }
      })
      .catch(() => {
        if (failures + 1 >= MAX_POLL_FAILURES) {
          failed('The server stopped answering while the recording was being transcribed.');
        } else {
          setTimeout(() => poll(id, failures + 1), POLL_MS);
        }
      });
  }

  function stageText(stage, p) {
    if (stage === 'queued') {
      return 'waiting for the model';
    }
    if (p.segments_total) {
      return `transcribing, ${p.segments_done} of ${p.segments_total} segments`;
    }
    return 'transcribing';
  }

  // --- the transcript: segments from result.json, each with a button that plays from its start ---

  async function showResult(id) {
    let transcript;
    try {
      const r = await fetch(resultUrl(id, 'json'), { headers: headers(), cache: 'no-store' });
      const text = await r.text();
      if (!r.ok) {
        failed(describe(r.status, text, r.headers.get('Retry-After')));
        return;
      }
      transcript = parseJson(text);
    } catch (e) {
      failed('The transcript could not be fetched from the server.');
      return;
    }
    if (!transcript || !Array.isArray(transcript.segments)) {
      failed('The server sent a transcript this page cannot read.');
      return;
    }
    segmentList.replaceChildren(
      ...transcript.segments.map((s) => {
        const item = document.createElement('li');
        item.className = 'segment';
        const play = document.createElement('button');
        play.type = 'button';
        play.className = 'seek';
        play.dataset.start = String(s.start);
        play.textContent = `${clock(s.start)} – ${clock(s.end)}`;
        play.title = `Play from ${clock(s.start)}`;
        play.addEventListener('click', () => playFrom(s.start));
        const words = document.createElement('span');
        words.className = 'text';
        words.textContent = s.text && s.text.trim() !== '' ? s.text : '(no speech)';
        item.append(play, words);
        return item;
      })
    );
    if (transcript.segments.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'empty';
      empty.textContent = 'The recording has no segments to show.';
      segmentList.append(empty);
    }
    player.src = fileUrl || '';
    result.hidden = false;
    setBusy(false);
  }

  function playFrom(seconds) {
    if (!player.src) {
      return;
    }
    player.currentTime = seconds;
    player.play().catch(() => {
      showError('This browser cannot play the picked file; the transcript and downloads still work.');
    });
  }

  // --- downloads: fetched with the API key (a plain link could not send it), saved as a file ---

  for (const button of document.querySelectorAll('button.download')) {
    button.addEventListener('click', () => download(button.dataset.format));
  }

  async function download(format) {
    if (!jobId) {
      return;
    }
    clearError();
    try {
      const r = await fetch(resultUrl(jobId, format), { headers: headers(), cache: 'no-store' });
      if (!r.ok) {
        showError(describe(r.status, await r.text(), r.headers.get('Retry-After')));
        return;
      }
      const url = URL.createObjectURL(await r.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `${stem(file ? file.name : 'transcript')}.${format}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) {
      showError(`The ${format.toUpperCase()} file could not be fetched from the server.`);
    }
  }

  // --- errors as sentences, with the server's own message ---

  function describe(status, body, retryAfter) {
    const answer = parseJson(body);
    const message = answer && answer.error && answer.error.message ? answer.error.message : '';
    const said = message ? ` The server said: ${sentence(message)}` : '';
    const wait = retryAfter ? ` Try again in ${retryAfter} seconds.` : ' Try again later.';
    switch (status) {
      case 400:
        return `Some options were not accepted.${said}`;
      case 401:
        return `This server needs an API key: enter it under Options and try again.${said}`;
      case 404:
        return `The server does not know this job any more.${said}`;
      case 409:
        return `The job is not finished yet.${said}`;
      case 413:
        return `The file is too large for this server.${said}`;
      case 415:
        return `This file does not look like audio or video, so it was not transcribed.${said}`;
      case 422:
        return `The recording could not be transcribed.${said}`;
      case 429:
        return `Too many uploads from this address in the last minute.${wait}${said}`;
      case 503:
        return `The server is busy with other recordings.${wait}${said}`;
      default:
        return status >= 500
          ? `The server ran into a problem (HTTP ${status}).${said}`
          : `The server refused the request (HTTP ${status}).${said}`;
    }
  }

  function sentence(text) {
    const t = text.trim();
    const first = t.charAt(0).toUpperCase() + t.slice(1);
    return /[.!?]$/.test(first) ? first : `${first}.`;
  }

  function failed(message) {
    showError(message);
    setBusy(false);
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function clearError() {
    errorBox.textContent = '';
    errorBox.hidden = true;
  }

  // --- small helpers ---

  function setBusy(on) {
    busy = on;
    submit.disabled = on;
    fileInput.disabled = on;
    submit.textContent = on ? 'Working…' : 'Transcribe';
  }

  function headers() {
    const h = {};
    authorize((name, value) => {
      h[name] = value;
    });
    return h;
  }

  function authorize(set) {
    const key = el('api-key').value.trim();
    if (key !== '') {
      set('Authorization', `Bearer ${key}`);
    }
  }

  function resultUrl(id, format) {
    return `/jobs/${encodeURIComponent(id)}/result.${format}`;
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  function stem(name) {
    const dot = name.lastIndexOf('.');
    return dot > 0 ? name.slice(0, dot) : name;
  }

  function size(bytes) {
    if (bytes < 1024) {
      return `${bytes} B`;
    }
    const units = ['KB', 'MB', 'GB', 'TB'];
    let value = bytes / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
  }

  /** Seconds as m:ss.s (or h:mm:ss.s from an hour on). */
  function clock(seconds) {
    const tenths = Math.round(Math.max(0, Number(seconds) || 0) * 10);
    const h = Math.floor(tenths / 36000);
    const m = Math.floor((tenths % 36000) / 600);
    const s = ((tenths % 600) / 10).toFixed(1).padStart(4, '0');
    return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
  }
})();
