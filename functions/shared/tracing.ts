import { Tracer } from "@aws-lambda-powertools/tracer";

/**
 * X-Ray through Powertools Tracer, for the hot path only: it adds ~124 KB (aws-xray-sdk-core) to a bundle, so
 * functions under the 250 KB bundle budget (triage, the actions) keep Lambda's active tracing alone. Outside Lambda
 * (tests, the local runtime) Tracer is off and every call below is a no-op.
 */
export const createTracer = (serviceName: string) =>
  new Tracer({ serviceName: `quell-${serviceName}`, captureHTTPsRequests: false });

/** An AWS SDK v3 client whose calls become subsegments of the invocation's trace. */
export const traced = <Client>(tracer: Tracer, client: Client): Client => tracer.captureAWSv3Client(client);

/**
 * A handler whose invocation is a `## handler` subsegment annotated with ColdStart and Service. Neither the event
 * nor the response is recorded (alert text stays out of X-Ray); an error is, as the subsegment's fault.
 */
export function tracedHandler<Args extends unknown[], Result>(
  tracer: Tracer,
  handler: (...args: Args) => Promise<Result>,
): (...args: Args) => Promise<Result> {
  return async (...args) => {
    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment("## handler");
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await handler(...args);
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      if (segment && subsegment) {
        subsegment.close();
        tracer.setSegment(segment);
      }
    }
  };
}
