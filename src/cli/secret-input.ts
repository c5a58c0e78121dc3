/**
 * Reading a secret's value without putting it in argv (visible to every user in `ps`) or on the
 * screen: from stdin when it is a pipe or a file (`printf %s "$TOKEN" | aios secrets set NAME`; one
 * trailing newline is dropped), else from a prompt on the terminal with echo off. Ctrl-C at the
 * prompt stops the command (exit 130) without storing anything.
 */
import { AiosError } from "../core/index.js";
import { EXIT } from "./exit-codes.js";

async function readPiped(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts).toString("utf8").replace(/\r?\n$/, "");
}

function prompt(name: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(`value for secret ${name} (not echoed): `);
  return new Promise((resolve) => {
    let value = "";
    stdin.setRawMode(true);
    stdin.resume();
    const done = (): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") {
          done();
          resolve(value);
          return;
        }
        if (ch === "\u0003") {
          done();
          process.exit(EXIT.INTERRUPTED);
        }
        value = ch === "\u007f" || ch === "\b" ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.on("data", onData);
  });
}

export async function readSecretValue(name: string): Promise<string> {
  const value = process.stdin.isTTY === true ? await prompt(name) : await readPiped();
  if (value.length === 0) throw new AiosError("E_INVALID_ARG", `value: empty; pipe it in (printf %s "$VALUE" | aios secrets set ${name}) or type it at the prompt`, { details: { path: "value" } });
  return value;
}
