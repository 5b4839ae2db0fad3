import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/** The raw bytes of a Function URL request body, exactly as sent (signatures are over these bytes). */
export const rawBodyOf = (event: APIGatewayProxyEventV2): Uint8Array =>
  Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");

export const lowerCaseHeaders = (event: APIGatewayProxyEventV2): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));

export const jsonResponse = (status: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode: status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
