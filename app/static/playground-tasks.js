// Follow a task (the io.modelcontextprotocol/tasks extension) to its end: poll tasks/get at the
// interval the server asks, put its questions to the person and send the answers with
// tasks/update, and send tasks/cancel when the person cancels. Every request goes in the
// call's history.

import { answerAll } from "./elicitation.js";
import { Cancelled, McpError, TASKS } from "./mcp-client.js";

const TERMINAL = ["completed", "failed", "cancelled"];
/** Bounds on the wait between polls (milliseconds), whatever the server suggests. */
const FASTEST = 250;
const SLOWEST = 5000;

/** Whether `error` says the tool runs only as a task (-32021, naming the extension). */
export function needsTask(error) {
  return error instanceof McpError && error.code === -32021 && !!error.data?.requiredCapabilities?.extensions?.[TASKS];
}

/** Follow the task `created` for `call` until it ends; resolve with its result, or reject with its error (or
 * Cancelled). `onStatus(task)` sees each status the task reports. */
export async function follow(client, call, created, onStatus) {
  const taskId = created.taskId;
  const answered = new Set();
  let task = created;
  for (;;) {
    onStatus(task);
    if (TERMINAL.includes(task.status)) return ended(task);
    try {
      if (task.status === "input_required") await answer(client, call, task, answered);
      await pause(task.pollIntervalMs, call.signal);
      task = await client.request("tasks/get", { taskId }, { signal: call.signal, exchange: call.exchange() });
    } catch (error) {
      if (!(error instanceof Cancelled)) throw error;
      await client.request("tasks/cancel", { taskId }, { exchange: call.exchange() }).catch(() => {});
      throw error;
    }
  }
}

/** Put the questions not answered yet to the person, and send the answers. */
async function answer(client, call, task, answered) {
  const open = Object.fromEntries(Object.entries(task.inputRequests || {}).filter(([key]) => !answered.has(key)));
  if (!Object.keys(open).length) return;
  const inputResponses = await answerAll(open, call.signal);
  if (call.signal.aborted) throw new Cancelled();
  Object.keys(open).forEach((key) => answered.add(key));
  const params = { taskId: task.taskId, inputResponses };
  await client.request("tasks/update", params, { signal: call.signal, exchange: call.exchange() });
}

function ended(task) {
  if (task.status === "completed") return task.result;
  if (task.status === "cancelled") throw new Cancelled();
  throw new McpError(200, task.error || { message: task.statusMessage || "The task failed." });
}

/** Wait `ms` (within bounds), or until `signal` aborts. */
function pause(ms, signal) {
  const wait = Math.min(Math.max(ms || 1000, FASTEST), SLOWEST);
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Cancelled());
    const timer = setTimeout(resolve, wait);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new Cancelled());
      },
      { once: true },
    );
  });
}

/** A line saying where a task stands. */
export function statusLine(task) {
  const message = task.statusMessage ? `: ${task.statusMessage}` : "";
  return `Task ${task.taskId.slice(0, 8)}… ${task.status.replace("_", " ")}${message}`;
}
