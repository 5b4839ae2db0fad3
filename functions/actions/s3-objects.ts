import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
} from "@aws-sdk/client-s3";
import { QuellError } from "../shared/errors.js";
import type { ActionContext, IamNeed, Write } from "./contract.js";
import type { S3Document } from "./knowledge-base-documents.js";

/**
 * Moving an S3 object the careful way: copy it with its metadata and tags, check the copy, and only then delete
 * the original. Used to quarantine a poisoned document and to put it back.
 */

/**
 * Reading, copying (metadata and tags kept) and deleting objects, in buckets only known at run time. ListBucket
 * lets a read of a missing object answer 404 rather than 403, which is how "already moved" is told apart.
 */
export const moveObjectsIam: IamNeed = {
  actions: [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:DeleteObject",
  ],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
  resources: ["arn:${Partition}:s3:::*/*"],
};
export const listBucketIam: IamNeed = {
  actions: ["s3:ListBucket"],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
  resources: ["arn:${Partition}:s3:::*"],
};

const isNotFound = (error: unknown) => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === "NotFound" || name === "NoSuchKey" || $metadata?.httpStatusCode === 404;
};

/** The object's head, or undefined when there is no such object. */
export async function headOf(
  context: ActionContext,
  object: S3Document,
): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await context.aws.s3().send(new HeadObjectCommand({ Bucket: object.bucket, Key: object.key }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export const s3Uri = (object: S3Document) => `s3://${object.bucket}/${object.key}`;

/** `CopySource` as S3 takes it: bucket, then the key URL-encoded with its slashes kept, then the version. */
const copySource = (object: S3Document, versionId: string | undefined) =>
  `${object.bucket}/${encodeURIComponent(object.key).replace(/%2F/g, "/")}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ""}`;

/** Copy `from` (the version read, when versioned) to `to` with its metadata, content type and tags. */
export const copyObject = (
  context: ActionContext,
  from: S3Document,
  to: S3Document,
  versionId?: string,
): Write => {
  const input = {
    Bucket: to.bucket,
    Key: to.key,
    CopySource: copySource(from, versionId),
    MetadataDirective: "COPY" as const,
    TaggingDirective: "COPY" as const,
  };
  return {
    description: { kind: "aws", service: "s3", operation: "CopyObject", input },
    send: () => context.aws.s3().send(new CopyObjectCommand(input)),
  };
};

/**
 * Whether `copy` holds what `original` held: same size and content type, and the same ETag unless the original
 * was uploaded in parts (a copy's ETag then differs though its bytes do not).
 */
export const sameContent = (original: HeadObjectCommandOutput, copy: HeadObjectCommandOutput | undefined) =>
  copy !== undefined &&
  copy.ContentLength === original.ContentLength &&
  copy.ContentType === original.ContentType &&
  (copy.ETag === original.ETag || (original.ETag ?? "").includes("-"));

/**
 * Delete `original`, but only once `copy` is there with the same content: checked when the write is sent, after
 * the copy went out, so a copy that failed or differs leaves the original where it is.
 */
export const deleteAfterCopy = (
  context: ActionContext,
  original: S3Document,
  head: HeadObjectCommandOutput,
  copy: S3Document,
): Write => {
  const input = { Bucket: original.bucket, Key: original.key };
  return {
    description: { kind: "aws", service: "s3", operation: "DeleteObject", input },
    async send() {
      if (!sameContent(head, await headOf(context, copy)))
        throw new QuellError(
          `the copy at ${s3Uri(copy)} does not match ${s3Uri(original)}: the original was not deleted`,
        );
      return context.aws.s3().send(new DeleteObjectCommand(input));
    },
  };
};
