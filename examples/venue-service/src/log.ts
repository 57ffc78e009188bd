/** Structured log lines on stdout; messages are static, details go in fields. */
export type Logger = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** Logs JSON lines tagged with the release, the shape `kubectl logs` users grep. */
export function jsonLogger(release: string): Logger {
  return (level, msg, fields = {}) => {
    process.stdout.write(
      JSON.stringify({ time: new Date().toISOString(), level, msg, release, ...fields }) + '\n',
    );
  };
}

export const silentLogger: Logger = () => {};

/** An error's message without anything that looks like URL credentials. */
export function redact(text: string): string {
  return text.replace(/(\w+:\/\/[^:/@\s]+):[^@\s]+@/g, '$1:****@');
}
