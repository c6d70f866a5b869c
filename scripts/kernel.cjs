#!/usr/bin/env node
// The `medst` Jupyter kernel: tslab, started from the project root.
// Jupyter starts a kernel in the notebook's folder, and tslab takes that folder as
// its TypeScript rootDir; starting it at the root lets a notebook under notebooks/
// import the built library (`import * as medst from "./dist/index.js"`).
'use strict';
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const connectionArg = process.argv[2];
if (!connectionArg) {
  console.error('usage: kernel.cjs CONNECTION_FILE');
  process.exit(2);
}
// Resolve before chdir: Jupyter may pass a path relative to its own working directory.
const connectionFile = path.resolve(connectionArg);
process.chdir(root);
process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL ?? '2';
process.argv = [process.argv[0], path.join(root, 'node_modules', 'tslab', 'bin', 'tslab'), 'kernel', '--config-path', connectionFile];

// tslab handles shell messages concurrently and queues the executions, so with Run All
// it reports "idle" when the first cell ends while the others still wait. Keep each
// request's own busy/idle pair (clients match them by parent), but after an idle, say
// "busy" again for the oldest request still in flight.
const { ZmqServer } = require(path.join(root, 'node_modules', 'tslab', 'dist', 'jupyter.js'));
const publishStatus = ZmqServer.prototype.publishStatus;
const inFlight = [];
ZmqServer.prototype.publishStatus = function (status, parent) {
  if (status === 'busy') inFlight.push(parent);
  publishStatus.call(this, status, parent);
  if (status === 'idle') {
    const index = inFlight.indexOf(parent);
    if (index >= 0) inFlight.splice(index, 1);
    if (inFlight.length > 0) publishStatus.call(this, 'busy', inFlight[0]);
  }
};
require(path.join(root, 'node_modules', 'tslab', 'dist', 'main.js')).main();
