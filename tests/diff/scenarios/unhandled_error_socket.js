'use strict';
// Scenario unhandled_error_socket: an 'error' event that nobody listens to.
//
// A socket with no 'error' listener connects to a port where nobody listens (argv[2],
// a free port the runner picked). EventEmitter.emit('error') with no listener throws
// the error; nothing catches it, so the process prints Node's "Unhandled 'error'
// event" report on stderr and exits with status 1. Nothing more reaches stdout, and
// the socket's 'close' listener never runs.
// The runner compares the exit status and stderr after its standard normalisation
// (Node's "    at ..." stack lines and its last line, the runtime's name, removed).
// @diff ports 1
const net = require('net');

const port = Number(process.argv[2]);
const client = net.connect(port, '127.0.0.1');
client.on('close', (hadError) => console.log(`client close ${hadError} (never printed)`));
console.log('client connect() returned');
