'use strict';
// Sends log records with the fluent-logger npm package, as a Node application would, and
// prints what happened as one JSON line: {"acknowledged": <records whose callback saw no
// error>, "errors": [<messages>]}. The Python tests run it (tests/node_client.py).
//
//   node send.js '{"port": 24224, "tagPrefix": "app", "eventMode": "Message",
//                  "requireAckResponse": true, "eventTime": true, "security": null,
//                  "collidingChunkIds": false,
//                  "records": [{"label": "payment-api", "data": {...}, "timeMs": 1767225600123}]}'

const crypto = require('crypto');
const logger = require('fluent-logger');

const spec = JSON.parse(process.argv[2]);
if (spec.collidingChunkIds) {
  // Chunk ids from a generator seeded alike in every process (as Go's math/rand before 1.20
  // is, under fluent-logger-golang): several senders send the same ids for different chunks.
  let counter = 0;
  crypto.randomBytes = (size) => {
    const bytes = Buffer.alloc(size);
    bytes.writeUInt32BE(counter++ % 0x100000000, 0);
    return bytes;
  };
}
const quiet = { info() {}, error() {} };
const sender = logger.createFluentSender(spec.tagPrefix, {
  host: '127.0.0.1',
  port: spec.port,
  timeout: 3.0,
  eventMode: spec.eventMode || 'Message',
  requireAckResponse: spec.requireAckResponse,
  ackResponseTimeout: 10000,
  enableReconnect: false,
  security: spec.security || undefined,
  internalLogger: quiet
});

const errors = [];
let acknowledged = 0;
let settled = 0;

sender.on('error', (error) => errors.push(String(error.message || error)));

function finish() {
  process.stdout.write(JSON.stringify({ acknowledged, errors }) + '\n');
  sender.end(null, null, () => process.exit(0));
  // end() waits for nothing more; exit even if a socket lingers.
  setTimeout(() => process.exit(0), 500);
}

setTimeout(() => {
  errors.push('timed out waiting for acknowledgements');
  finish();
}, spec.timeoutMs || 15000);

for (const record of spec.records) {
  let time;
  if (record.timeMs !== undefined) {
    time = spec.eventTime
      ? logger.EventTime.fromTimestamp(record.timeMs)
      : Math.floor(record.timeMs / 1000);
  }
  const done = (error) => {
    if (error) {
      errors.push(String(error.message || error));
    } else {
      acknowledged += 1;
    }
    settled += 1;
    if (settled === spec.records.length) {
      finish();
    }
  };
  if (time === undefined) {
    sender.emit(record.label, record.data, done);
  } else {
    sender.emit(record.label, record.data, time, done);
  }
}
