import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ExportedHead, PutHead } from "./core.js";

const isPreconditionFailed = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412;

/**
 * Writes each head once (If-None-Match: *): a redelivered record finds its object and compares it; a different
 * head under the same key is an error that keeps failing (and reaches the failure queue), never an overwrite.
 */
export function headWriter(s3: S3Client, bucket: string): PutHead {
  return async (key: string, head: ExportedHead) => {
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(head),
          ContentType: "application/json",
          IfNoneMatch: "*",
          ChecksumAlgorithm: "SHA256",
        }),
      );
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const held = JSON.parse((await stored.Body?.transformToString()) ?? "{}") as Partial<ExportedHead>;
      if (held.hash !== head.hash) {
        throw new Error(
          `s3://${bucket}/${key} holds head ${held.hash} for place ${head.seq}, not ${head.hash}`,
        );
      }
    }
  };
}
