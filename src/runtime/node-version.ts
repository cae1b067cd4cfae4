/** Colyseus 0.18 and slonik 49 need Node.js 24; say so plainly instead of failing deep inside a library. */
export function assertNodeVersion(required = 24): void {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < required) {
    process.stderr.write(
      `Virtual Land World needs Node.js ${required} or newer, but this is ${process.version}. ` +
        `Run it through npm (npm start, npm test), which uses the Node.js ${required} that npm ci installed in node_modules/.bin.\n`,
    );
    process.exit(1);
  }
}
