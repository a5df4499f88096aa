'use strict';
// Node.js entry for require(): the same modules as the ESM build, compiled to CommonJS.
const { readFile } = require('node:fs/promises');
const { join } = require('node:path');
const glue = require('./glue-server.js');
const { setPlatform } = require('./wasm.js');

setPlatform({
  glue,
  source: () => readFile(join(__dirname, '..', 'wasm', 'quorumkey_server_bg.wasm')),
});

module.exports = {
  ...require('./index.js'),
  FileShareStore: require('./storage-file.js').FileShareStore,
  IndexedDbShareStore: require('./storage-idb.js').IndexedDbShareStore,
};
