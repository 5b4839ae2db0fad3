import { parse as parseForm } from "node:querystring";

export interface SlackBodyProblem {
  readonly status: 400 | 415;
  readonly code: "invalid_payload" | "invalid_json" | "unsupported_media_type";
  readonly message: string;
}

const isObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether `text` is JSON holding one object (what every Slack payload is). */
function isJsonObject(text: string): boolean {
  try {
    return isObject(JSON.parse(text));
  } catch {
    return false;
  }
}

/**
 * What is wrong with a signed Slack request's body before Bolt parses it, or undefined when nothing is. Slack sends
 * interactivity as a form whose one `payload` field is a JSON object, slash commands as a plain form, and events
 * as a JSON object. Bolt's receiver throws on anything else (a `payload` that is not JSON), which Lambda answers
 * 500: a sender that signed a malformed body is told what was wrong instead. Parsed as Bolt parses it.
 */
export function slackBodyProblem(
  rawBody: string,
  contentType: string | undefined,
): SlackBodyProblem | undefined {
  if (contentType === "application/x-www-form-urlencoded") {
    const { payload } = parseForm(rawBody);
    if (payload === undefined) return undefined;
    if (typeof payload !== "string" || !isJsonObject(payload)) {
      return {
        status: 400,
        code: "invalid_payload",
        message: "the form field `payload` must appear once and hold one JSON object, as Slack sends it",
      };
    }
    return undefined;
  }
  if (contentType === "application/json") {
    return isJsonObject(rawBody)
      ? undefined
      : { status: 400, code: "invalid_json", message: "the body must be one JSON object, as Slack sends it" };
  }
  return {
    status: 415,
    code: "unsupported_media_type",
    message:
      "Slack requests are application/x-www-form-urlencoded (interactivity, commands) or application/json",
  };
}
