// The floor for memory figures: a Node.js process that loads nothing and waits.
setInterval(() => undefined, 1 << 30);
process.once('SIGTERM', () => process.exit(0));
