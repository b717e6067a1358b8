import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * A value that must never reach a log line, an HTTP body or a printed config: JSON, `util.inspect`
 * and string conversion all print `[redacted]`. Only `reveal()` gives the value back, so every
 * place that uses a secret says so in the code.
 */
export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

export { REDACTED };
