#!/usr/bin/env node
/*
 * Tally dev mail catcher: an SMTP sink with a small HTTP API, for local runs and tests.
 * Plain CommonJS, no build step. Needs the npm packages `smtp-server` and `mailparser`.
 *
 *   node infra/mailcatcher/mailcatcher.js
 *
 * SMTP  ${MAILCATCHER_SMTP_PORT:-1025}  any AUTH (or none), no TLS, every message accepted
 * HTTP  ${MAILCATCHER_HTTP_PORT:-8025}
 *   GET    /messages        JSON array, oldest first:
 *                           [{id, from, to, subject, text, html, date, cc, messageId, envelope, headers}]
 *                           optional filters: ?to=<address>  ?subject=<substring>  (case-insensitive)
 *   GET    /messages/:id    one message (404 if unknown)
 *   DELETE /messages        clears all; answers {"deleted": n}
 *   DELETE /messages/:id    deletes one
 *   GET    /health          {"status":"ok","messages":n}
 *
 * Other settings: MAILCATCHER_HOST (bind address, default 127.0.0.1),
 * MAILCATCHER_MAX_MESSAGES (kept in memory, oldest dropped first; default 1000),
 * MAILCATCHER_QUIET=1 (no line per received message).
 *
 * Field meanings: `from` is the From header as text (e.g. "Tally <no-reply@tally.local>"),
 * or the envelope sender when the header is missing; `to` is the list of envelope
 * recipient addresses (lower-cased; includes Cc/Bcc recipients); `text`/`html` are the
 * decoded bodies (html is null when the message has none); `date` is an ISO-8601 string
 * (the Date header, or the time of receipt).
 */
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');
const { URL } = require('node:url');
const { SMTPServer } = require('smtp-server');
const { simpleParser } = require('mailparser');

const HOST = process.env.MAILCATCHER_HOST || '127.0.0.1';
const SMTP_PORT = Number(process.env.MAILCATCHER_SMTP_PORT || 1025);
const HTTP_PORT = Number(process.env.MAILCATCHER_HTTP_PORT || 8025);
const MAX_MESSAGES = Number(process.env.MAILCATCHER_MAX_MESSAGES || 1000);
const QUIET = process.env.MAILCATCHER_QUIET === '1';
const MAX_SIZE = 25 * 1024 * 1024;

/** @type {Array<Record<string, unknown>>} */
let messages = [];

function log(...args) {
  if (!QUIET) console.log(new Date().toISOString(), ...args);
}

function addressText(a) {
  if (!a) return null;
  if (Array.isArray(a)) return a.map((x) => x.text).join(', ');
  return a.text || null;
}

function headersObject(parsed) {
  const out = {};
  for (const { key, line } of parsed.headerLines || []) {
    const value = line.slice(line.indexOf(':') + 1).trim();
    out[key] = key in out ? `${out[key]}, ${value}` : value;
  }
  return out;
}

async function store(raw, session) {
  const parsed = await simpleParser(raw);
  const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
  const envelopeTo = session.envelope.rcptTo.map((r) => String(r.address).toLowerCase());
  const msg = {
    id: crypto.randomUUID(),
    from: addressText(parsed.from) || envelopeFrom,
    to: envelopeTo,
    subject: parsed.subject || '',
    text: parsed.text || '',
    html: typeof parsed.html === 'string' ? parsed.html : null,
    date: (parsed.date instanceof Date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : new Date()).toISOString(),
    receivedAt: new Date().toISOString(),
    cc: addressText(parsed.cc),
    messageId: parsed.messageId || null,
    envelope: { from: envelopeFrom, to: envelopeTo },
    headers: headersObject(parsed),
    user: session.user || null,
  };
  messages.push(msg);
  if (messages.length > MAX_MESSAGES) messages = messages.slice(messages.length - MAX_MESSAGES);
  log(`mail ${msg.id} from=<${envelopeFrom}> to=${envelopeTo.join(',')} subject=${JSON.stringify(msg.subject)}`);
  return msg;
}

const smtp = new SMTPServer({
  secure: false,
  disabledCommands: ['STARTTLS'],
  authOptional: true,
  allowInsecureAuth: true,
  authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
  banner: 'Tally mail catcher',
  size: MAX_SIZE,
  logger: false,
  onAuth(auth, _session, callback) {
    // any credentials are accepted
    callback(null, { user: auth.username || 'anonymous' });
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('error', callback);
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        const err = new Error('Message exceeds the size limit');
        err.responseCode = 552;
        callback(err);
        return;
      }
      store(Buffer.concat(chunks), session).then(
        (m) => callback(null, `Queued as ${m.id}`),
        (err) => {
          console.error('could not parse message:', err);
          callback(err);
        },
      );
    });
  },
});
smtp.on('error', (err) => console.error('smtp error:', err.message));

function send(res, status, body) {
  const data = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(data),
    'cache-control': 'no-store',
  });
  res.end(data);
}

const api = http.createServer((req, res) => {
  let url;
  try {
    url = new URL(req.url || '/', 'http://localhost');
  } catch {
    send(res, 400, { error: 'bad url' });
    return;
  }
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const one = /^\/messages\/([^/]+)$/.exec(path);

  if (path === '/health' && req.method === 'GET') {
    send(res, 200, { status: 'ok', messages: messages.length });
  } else if (path === '/messages' && req.method === 'GET') {
    const to = (url.searchParams.get('to') || '').toLowerCase();
    const subject = (url.searchParams.get('subject') || '').toLowerCase();
    let list = messages;
    if (to) list = list.filter((m) => m.to.some((a) => a.includes(to)));
    if (subject) list = list.filter((m) => String(m.subject).toLowerCase().includes(subject));
    send(res, 200, list);
  } else if (path === '/messages' && req.method === 'DELETE') {
    const deleted = messages.length;
    messages = [];
    send(res, 200, { deleted });
  } else if (one && req.method === 'GET') {
    const m = messages.find((x) => x.id === one[1]);
    if (m) send(res, 200, m);
    else send(res, 404, { error: 'not found' });
  } else if (one && req.method === 'DELETE') {
    const before = messages.length;
    messages = messages.filter((x) => x.id !== one[1]);
    send(res, before === messages.length ? 404 : 200, { deleted: before - messages.length });
  } else {
    send(res, 404, { error: 'not found', routes: ['GET /messages', 'GET /messages/:id', 'DELETE /messages', 'DELETE /messages/:id', 'GET /health'] });
  }
});

function listen(server, port, name) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.removeListener('error', reject);
      resolve();
    });
  }).catch((err) => {
    console.error(`mailcatcher: cannot listen for ${name} on ${HOST}:${port}: ${err.message}`);
    process.exit(1);
  });
}

let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: shutting down`);
  const timer = setTimeout(() => process.exit(0), 3000);
  timer.unref();
  api.close();
  api.closeAllConnections?.();
  smtp.close(() => process.exit(0));
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

(async () => {
  await listen(smtp, SMTP_PORT, 'SMTP');
  await listen(api, HTTP_PORT, 'HTTP');
  console.log(`mailcatcher: SMTP on ${HOST}:${SMTP_PORT}, HTTP on http://${HOST}:${HTTP_PORT}/messages`);
})();
