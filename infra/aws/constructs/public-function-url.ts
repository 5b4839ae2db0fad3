import { CfnFunction, type FunctionUrl, FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import type { QuellFunction } from "./quell-function.js";

/**
 * A Function URL anyone can call (AuthType NONE: GitHub, Slack and webhook senders cannot sign AWS requests; they
 * sign the body, and the handler verifies that signature in constant time before anything else), on a function
 * with reserved concurrency: a flood runs at most `reservedConcurrency` invocations at once, Lambda throttles the
 * rest (HTTP 429), and the account's other functions keep their concurrency.
 */
export function publicFunctionUrl(quellFunction: QuellFunction, reservedConcurrency: number): FunctionUrl {
  const cfn = quellFunction.fn.node.defaultChild;
  if (!(cfn instanceof CfnFunction)) throw new Error(`${quellFunction.fn.node.path} has no CfnFunction`);
  cfn.reservedConcurrentExecutions = reservedConcurrency;
  return quellFunction.fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
}
