// Container health probe (no curl in the slim image):
//   node /app/healthcheck.js [path]     GET http://127.0.0.1:$PORT<path>, exit 0 on 2xx
// path defaults to $HEALTHCHECK_PATH or /health/ready; port to $HEALTHCHECK_PORT or $PORT.
'use strict';
const http = require('node:http');

const port = Number(process.env.HEALTHCHECK_PORT || process.env.PORT || 3000);
const path = process.argv[2] || process.env.HEALTHCHECK_PATH || '/health/ready';

const req = http.get({ host: '127.0.0.1', port, path, timeout: 2500 }, (res) => {
  res.resume();
  process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1);
});
req.on('timeout', () => {
  req.destroy();
  process.exit(1);
});
req.on('error', () => process.exit(1));
